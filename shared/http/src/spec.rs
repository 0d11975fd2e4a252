//! The OpenAPI document as served, with what poem-openapi cannot express added, and the
//! `Allow` header that 405 answers owe, taken from that same document.

use std::sync::Arc;

use poem::{Endpoint, IntoResponse, Response, http::HeaderValue};
use serde_json::Value;

use super::{COMMON_PROBLEMS, ProblemType};
use checkout_auth::Permission;
use checkout_domain::{MAX_TEXT_CHARS, PageLimit, TEXT_PATTERN};

/// What a service checks in its domain types and publishes in its document: JSON Schema
/// keywords (`minLength`, `maximum`, `pattern`, `enum`, ...) by request property and by
/// parameter name, and the request schemas that refuse unknown fields.
#[derive(Debug, Clone, Default)]
pub struct DocumentedRules {
    pub closed_schemas: Vec<&'static str>,
    pub properties: Vec<(&'static str, Value)>,
    pub parameters: Vec<(&'static str, Value)>,
    /// What each operation (method, path as documented) asks of the caller's token.
    pub permissions: Vec<(&'static str, &'static str, Permission)>,
    /// The reads (method, path as documented) rate-limited per caller like the writes,
    /// against a limit of their own: lookups of things a caller could guess.
    pub lookups: Vec<(&'static str, &'static str)>,
    /// The kinds of problem each operation (method, path as documented) can answer with; its
    /// error statuses in the document are exactly theirs (and 429 where it is rate-limited).
    pub problems: Vec<(&'static str, &'static str, &'static [&'static str])>,
    /// The service's own kinds of problem, beside [`COMMON_PROBLEMS`].
    pub problem_types: Vec<ProblemType>,
    /// What the API is for, its lifecycle and its rules: the document's `info.description`.
    pub description: &'static str,
}

impl DocumentedRules {
    /// The kind of problem named `kind`: the service's own, else a common one.
    pub fn problem_type(&self, kind: &str) -> Option<ProblemType> {
        self.problem_types
            .iter()
            .chain(COMMON_PROBLEMS)
            .find(|p| p.kind == kind)
            .copied()
    }

    /// Every kind of problem the service answers with.
    pub fn all_problem_types(&self) -> Vec<ProblemType> {
        self.problem_types.iter().chain(COMMON_PROBLEMS).copied().collect()
    }
}

fn merge(schema: &mut Value, rules: &[(&'static str, Value)], name: &str) {
    let constraints = rules.iter().find(|(n, _)| *n == name).map(|(_, c)| c);
    if let (Some(Value::Object(constraints)), Some(schema)) = (constraints, schema.as_object_mut()) {
        for (keyword, value) in constraints {
            schema.insert(keyword.clone(), value.clone());
        }
    }
}

/// Patches the generated document with what the services check but poem-openapi cannot say:
/// the closed request schemas get `additionalProperties: false`, their properties and the
/// operations' parameters get the constraints `rules` names for them. The services check
/// these rules in their domain types; the document only publishes them, from the same
/// constants.
pub fn finished_spec(generated: &str, rules: &DocumentedRules) -> Value {
    let mut spec: Value = serde_json::from_str(generated).expect("poem-openapi generates valid JSON");
    if let Some(schemas) = spec.pointer_mut("/components/schemas").and_then(Value::as_object_mut) {
        for name in &rules.closed_schemas {
            let Some(schema) = schemas.get_mut(*name).and_then(Value::as_object_mut) else {
                continue;
            };
            schema.insert("additionalProperties".into(), Value::Bool(false));
            for (property, definition) in schema
                .get_mut("properties")
                .and_then(Value::as_object_mut)
                .into_iter()
                .flatten()
            {
                merge(definition, &rules.properties, property);
            }
        }
    }
    for (method, path, permission) in &rules.permissions {
        if let Some(operation) = spec
            .pointer_mut(&format!("/paths/{}/{method}", path.replace('/', "~1")))
            .and_then(Value::as_object_mut)
        {
            document_permission(operation, permission);
        }
    }
    super::rate_limit::document(&mut spec, rules);
    super::documented_responses::document(&mut spec, rules);
    simplify_all_of(&mut spec);
    let operations = spec
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flatten();
    for operation in operations.flat_map(|(_, ops)| ops.as_object_mut().into_iter().flatten().map(|(_, op)| op)) {
        for parameter in operation
            .get_mut("parameters")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            let Some(name) = parameter["name"].as_str().map(str::to_owned) else {
                continue;
            };
            if let Some(schema) = parameter.get_mut("schema") {
                merge(schema, &rules.parameters, &name);
            }
        }
    }
    spec
}

/// poem-openapi states a described (or nullable) reference as `allOf: [{$ref}, {description}]`
/// with the description repeated beside `allOf`. Code generators take an `allOf` for an
/// object to merge, and give up on one of an enum; the second member says nothing the
/// outer schema does not, so it goes, leaving `allOf: [{$ref}]`.
fn simplify_all_of(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let redundant = match map.get("allOf").and_then(Value::as_array).map(Vec::as_slice) {
                Some([reference, Value::Object(annotations)]) if reference.get("$ref").is_some() => {
                    annotations.iter().all(|(keyword, v)| map.get(keyword) == Some(v))
                }
                _ => false,
            };
            if redundant && let Some(Value::Array(all_of)) = map.get_mut("allOf") {
                all_of.truncate(1);
            }
            map.values_mut().for_each(simplify_all_of);
        }
        Value::Array(items) => items.iter_mut().for_each(simplify_all_of),
        _ => {}
    }
}

/// States the scopes an operation needs in its description and as `x-required-scopes`
/// (OpenAPI 3.0 keeps a bearer scheme's requirement list empty).
fn document_permission(operation: &mut serde_json::Map<String, Value>, permission: &Permission) {
    let scopes: Vec<_> = permission.scopes.iter().map(|s| format!("`{s}`")).collect();
    let text = format!(
        "**Requires** a bearer token with {} {}. {}",
        if scopes.len() == 1 {
            "the scope"
        } else {
            "one of the scopes"
        },
        scopes.join(" or "),
        permission.rule
    );
    let description = match operation.get("description").and_then(Value::as_str) {
        Some(existing) => format!("{existing}\n\n{text}"),
        None => text,
    };
    operation.insert("description".into(), description.into());
    let names: Vec<_> = permission.scopes.iter().map(|s| s.as_str()).collect();
    operation.insert("x-required-scopes".into(), names.into());
}

/// The published constraints of a free-text identifier (customer ids, SKUs).
pub fn text_field() -> Value {
    serde_json::json!({"minLength": 1, "maxLength": MAX_TEXT_CHARS, "pattern": TEXT_PATTERN})
}

/// The published constraints of a listing's `limit` parameter.
pub fn page_limit_field() -> Value {
    serde_json::json!({
        "type": "integer",
        "minimum": PageLimit::MIN,
        "maximum": PageLimit::MAX,
        "default": PageLimit::DEFAULT.get(),
    })
}

/// Serves a fixed JSON document, serialized once.
pub fn json_document(document: &Value) -> impl Endpoint<Output = Response> + use<> {
    let body: Arc<str> = document.to_string().into();
    poem::endpoint::make_sync(move |_| {
        body.to_string()
            .with_content_type("application/json; charset=utf-8")
            .into_response()
    })
}

/// Swagger UI's page as poem-openapi renders it, with `document` in place of the one it
/// embeds (the generated one), a link to the raw document, and no favicon to fetch.
pub fn docs_page(swagger_ui: &str, document: &Value) -> String {
    const START: &str = "let spec = ";
    const END: &str = ";\n    let oauth2RedirectUrl";
    // The page inlines Swagger UI's script before the document: search back from the end.
    let end = swagger_ui.find(END);
    let start = end.and_then(|end| swagger_ui[..end].rfind(START));
    let page = match (start, end) {
        (Some(start), Some(end)) if start < end => format!(
            "{}{}{}",
            &swagger_ui[..start + START.len()],
            document,
            &swagger_ui[end..]
        ),
        // A template of another shape: fail loudly in the tests rather than embed a stale document.
        _ => panic!("Swagger UI's page no longer embeds its document as `let spec = ...;`"),
    };
    page.replacen("<head>", "<head>\n    <link rel=\"icon\" href=\"data:,\">", 1)
        .replacen(
            "<div id=\"ui\"></div>",
            "<p style=\"font-family:sans-serif;margin:1em 2em\">The OpenAPI document this page shows: \
         <a href=\"/openapi.json\">/openapi.json</a> (generate a client from it); the problem \
         types: <a href=\"/problems\">/problems</a>.</p>\n<div id=\"ui\"></div>",
            1,
        )
}

/// A documented path: its template (`/orders/{id}`), the `Allow` value of its methods
/// (a header value, cheap to clone) and which of them take a request body.
#[derive(Debug, Clone)]
pub struct DocumentedRoute {
    pub template: String,
    pub allow: HeaderValue,
    with_body: Vec<String>,
    segments: Vec<String>,
}

impl DocumentedRoute {
    fn new(template: &str, mut methods: Vec<String>, with_body: Vec<String>) -> Self {
        if methods.iter().any(|m| m == "GET") {
            methods.push("HEAD".into());
        }
        methods.sort();
        Self {
            template: template.to_owned(),
            allow: HeaderValue::from_str(&methods.join(", ")).expect("method names are valid header text"),
            with_body,
            segments: template.trim_matches('/').split('/').map(str::to_owned).collect(),
        }
    }

    /// Whether `method` on this path takes a request body.
    pub fn takes_body(&self, method: &poem::http::Method) -> bool {
        self.with_body.iter().any(|m| m == method.as_str())
    }
}

/// The documented paths: for metric labels and the `Allow` header of 405 answers.
#[derive(Debug, Clone, Default)]
pub struct DocumentedRoutes(Vec<DocumentedRoute>);

impl DocumentedRoutes {
    pub fn from_spec(spec: &Value) -> Self {
        let mut routes = Vec::new();
        for (path, operations) in spec["paths"].as_object().into_iter().flatten() {
            let operations: Vec<_> = operations.as_object().into_iter().flatten().collect();
            let methods = operations.iter().map(|(m, _)| m.to_ascii_uppercase()).collect();
            let with_body = operations
                .iter()
                .filter(|(_, op)| op.get("requestBody").is_some())
                .map(|(m, _)| m.to_ascii_uppercase())
                .collect();
            routes.push(DocumentedRoute::new(path, methods, with_body));
        }
        Self(routes)
    }

    /// These routes and the pages served beside the operations (`/docs`, ...), read-only.
    pub fn with_pages(mut self, templates: &[&str]) -> Self {
        for template in templates {
            self.0
                .push(DocumentedRoute::new(template, vec!["GET".into()], Vec::new()));
        }
        self
    }

    /// The documented route a request path matches, if any.
    pub fn matching(&self, path: &str) -> Option<&DocumentedRoute> {
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
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn spec() -> Value {
        json!({
            "paths": {
                "/orders": {"get": {}, "post": {}},
                "/orders/{id}/status": {"patch": {}},
            },
            "components": {"schemas": {"CreateOrderRequest": {"type": "object"}, "OrderDto": {"type": "object"}}}
        })
    }

    #[test]
    fn allowed_methods_follow_the_documented_paths() {
        let allowed = DocumentedRoutes::from_spec(&spec());
        assert_eq!(allowed.matching("/orders").unwrap().allow, "GET, HEAD, POST");
        let status = allowed.matching("/orders/abc/status").unwrap();
        assert_eq!(status.allow, "PATCH");
        assert_eq!(status.template, "/orders/{id}/status");
        assert!(allowed.matching("/nope").is_none());
    }

    #[test]
    fn only_operations_with_a_request_body_take_one_and_pages_are_routes_of_their_own() {
        let spec = json!({"paths": {"/orders": {"get": {}, "post": {"requestBody": {}}}}});
        let routes = DocumentedRoutes::from_spec(&spec).with_pages(&["/docs"]);
        let orders = routes.matching("/orders").unwrap();
        assert!(orders.takes_body(&poem::http::Method::POST));
        assert!(!orders.takes_body(&poem::http::Method::GET));
        let docs = routes.matching("/docs").unwrap();
        assert_eq!(
            (docs.template.as_str(), docs.allow.to_str().unwrap()),
            ("/docs", "GET, HEAD")
        );
    }

    #[test]
    fn the_docs_page_embeds_the_given_document_links_to_it_and_needs_no_favicon() {
        let swagger = "<html><head></head><body><div id=\"ui\"></div><script>\n    let spec = {\"old\": 1};\n    let oauth2RedirectUrl;</script></body></html>";
        let page = docs_page(swagger, &json!({"new": 2}));
        assert!(
            page.contains("let spec = {\"new\":2};\n    let oauth2RedirectUrl"),
            "{page}"
        );
        assert!(!page.contains("old"));
        assert!(page.contains("<a href=\"/openapi.json\">") && page.contains("rel=\"icon\" href=\"data:,\""));
    }

    #[test]
    fn field_constraints_are_merged_into_request_properties_and_parameters() {
        let generated = json!({
            "paths": {"/orders": {"get": {"parameters": [{"name": "limit", "schema": {"type": "integer"}}]}}},
            "components": {"schemas": {"CreateOrderRequest": {"properties": {"sku": {"type": "string"}}}}}
        });
        let rules = DocumentedRules {
            closed_schemas: vec!["CreateOrderRequest"],
            properties: vec![("sku", json!({"maxLength": 64})), ("limit", json!({"maxLength": 1}))],
            parameters: vec![("limit", json!({"minimum": 1, "maximum": 100}))],
            ..DocumentedRules::default()
        };
        let finished = finished_spec(&generated.to_string(), &rules);
        assert_eq!(
            finished["components"]["schemas"]["CreateOrderRequest"]["properties"]["sku"],
            json!({"type": "string", "maxLength": 64})
        );
        assert_eq!(
            finished["paths"]["/orders"]["get"]["parameters"][0]["schema"],
            json!({"type": "integer", "minimum": 1, "maximum": 100})
        );
    }

    #[test]
    fn a_described_reference_keeps_its_reference_alone_in_all_of() {
        let generated = json!({"components": {"schemas": {"Order": {"properties": {"status": {
            "allOf": [{"$ref": "#/components/schemas/Status"}, {"description": "Where it is."}],
            "description": "Where it is.",
        }}}}}});
        let finished = finished_spec(&generated.to_string(), &DocumentedRules::default());
        assert_eq!(
            finished["components"]["schemas"]["Order"]["properties"]["status"],
            json!({"allOf": [{"$ref": "#/components/schemas/Status"}], "description": "Where it is."})
        );
    }

    #[test]
    fn closed_schemas_refuse_additional_properties() {
        let rules = DocumentedRules {
            closed_schemas: vec!["CreateOrderRequest"],
            ..DocumentedRules::default()
        };
        let finished = finished_spec(&spec().to_string(), &rules);
        assert_eq!(
            finished["components"]["schemas"]["CreateOrderRequest"]["additionalProperties"],
            false
        );
        assert!(
            finished["components"]["schemas"]["OrderDto"]
                .get("additionalProperties")
                .is_none()
        );
    }
}
