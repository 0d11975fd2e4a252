//! An operation's contract as its handler's module declares it, and the route table built from
//! every operation of a service. The table is what the server consults at run time (body
//! limits, rate limits, metric labels, `Allow`); the OpenAPI document is built from the same
//! declarations, and nothing reads the document back.

use poem::http::{HeaderValue, Method};

use checkout_auth::Permission;

use crate::ProblemType;

/// Which per-caller limit an operation counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateClass {
    /// Changes: `HTTP_RATE_LIMIT_WRITES_*`.
    Write,
    /// Answers to a guess (is this a voucher code?): `HTTP_RATE_LIMIT_LOOKUPS_*`.
    Lookup,
}

impl RateClass {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Write => "write",
            Self::Lookup => "lookup",
        }
    }
}

/// What an operation is, beside its handler: its method and path, who may call it, what it
/// counts against, whether it reads a body, and every kind of problem it answers with (its
/// error statuses in the document are exactly theirs, and 429 where it is rate-limited).
#[derive(Debug, Clone)]
pub struct Operation {
    pub method: Method,
    /// The path as documented: `/orders/{id}`.
    pub path: &'static str,
    pub permission: Permission,
    pub rate_limit: Option<RateClass>,
    /// Whether it reads a request body (others have theirs dropped unread).
    pub takes_body: bool,
    pub problems: &'static [ProblemType],
}

/// One path of the route table: its template, the `Allow` value of its methods (a header
/// value, cheap to clone) and each method's operation.
#[derive(Debug, Clone)]
pub struct Route {
    pub template: &'static str,
    pub allow: HeaderValue,
    operations: Vec<Operation>,
    segments: Vec<&'static str>,
}

impl Route {
    fn new(template: &'static str, operations: Vec<Operation>, pages: bool) -> Self {
        let mut methods: Vec<&str> = operations.iter().map(|o| o.method.as_str()).collect();
        if pages || methods.contains(&"GET") {
            methods.extend(["GET", "HEAD"]);
        }
        methods.sort_unstable();
        methods.dedup();
        Self {
            template,
            allow: HeaderValue::from_str(&methods.join(", ")).expect("method names are valid header text"),
            operations,
            segments: template.trim_matches('/').split('/').collect(),
        }
    }

    /// The operation `method` calls on this path; HEAD is a GET without the body.
    pub fn operation(&self, method: &Method) -> Option<&Operation> {
        let method = if method == Method::HEAD { &Method::GET } else { method };
        self.operations.iter().find(|o| o.method == method)
    }
}

/// Every path a service answers: its operations, and the pages served beside them
/// (`/docs`, ...), read-only.
#[derive(Debug, Clone, Default)]
pub struct Routes(Vec<Route>);

impl Routes {
    pub fn new(operations: &[Operation], pages: &[&'static str]) -> Self {
        let mut routes: Vec<Route> = Vec::new();
        let mut templates: Vec<&'static str> = operations.iter().map(|o| o.path).collect();
        templates.sort_unstable();
        templates.dedup();
        for template in templates {
            let on_path = operations.iter().filter(|o| o.path == template).cloned().collect();
            routes.push(Route::new(template, on_path, false));
        }
        routes.extend(pages.iter().map(|page| Route::new(page, Vec::new(), true)));
        Self(routes)
    }

    /// The route a request path matches, if any.
    pub fn matching(&self, path: &str) -> Option<&Route> {
        let wanted: Vec<&str> = path.trim_matches('/').split('/').collect();
        self.0.iter().find(|route| {
            route.segments.len() == wanted.len()
                && route
                    .segments
                    .iter()
                    .zip(&wanted)
                    .all(|(t, w)| t.starts_with('{') || t == w)
        })
    }

    /// The operation of `method` on the path `path` matches.
    pub fn operation(&self, method: &Method, path: &str) -> Option<&Operation> {
        self.matching(path).and_then(|route| route.operation(method))
    }

    pub(crate) fn operations(&self) -> impl Iterator<Item = &Operation> {
        self.0.iter().flat_map(|route| route.operations.iter())
    }
}

#[cfg(test)]
mod tests {
    use checkout_auth::Scope;

    use super::*;

    const READ: Permission = Permission {
        scopes: &[Scope::OrdersRead],
        rule: "",
    };

    fn operation(method: Method, path: &'static str, takes_body: bool) -> Operation {
        Operation {
            method,
            path,
            permission: READ,
            rate_limit: takes_body.then_some(RateClass::Write),
            takes_body,
            problems: &[],
        }
    }

    fn routes() -> Routes {
        Routes::new(
            &[
                operation(Method::GET, "/orders", false),
                operation(Method::POST, "/orders", true),
                operation(Method::PATCH, "/orders/{id}/status", true),
            ],
            &["/docs"],
        )
    }

    #[test]
    fn allowed_methods_follow_the_operations_of_each_path() {
        let routes = routes();
        assert_eq!(routes.matching("/orders").unwrap().allow, "GET, HEAD, POST");
        let status = routes.matching("/orders/abc/status").unwrap();
        assert_eq!(status.allow, "PATCH");
        assert_eq!(status.template, "/orders/{id}/status");
        assert!(routes.matching("/nope").is_none());
        assert!(routes.matching("/orders/abc").is_none());
    }

    #[test]
    fn each_method_finds_its_operation_and_head_is_a_get() {
        let routes = routes();
        assert!(routes.operation(&Method::POST, "/orders").unwrap().takes_body);
        assert!(!routes.operation(&Method::GET, "/orders").unwrap().takes_body);
        assert_eq!(routes.operation(&Method::HEAD, "/orders").unwrap().method, Method::GET);
        assert!(routes.operation(&Method::DELETE, "/orders").is_none());
        let docs = routes.matching("/docs").unwrap();
        assert_eq!((docs.template, docs.allow.to_str().unwrap()), ("/docs", "GET, HEAD"));
        assert!(docs.operation(&Method::GET).is_none(), "a page is no operation");
    }
}
