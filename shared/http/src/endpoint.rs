use std::{sync::Arc, time::Instant};

use poem::{
    Endpoint, EndpointExt, IntoResponse, Request, Response, Result, Route,
    endpoint::{BoxEndpoint, make_sync},
    http::{HeaderValue, StatusCode, header},
    web::Html,
};
use poem_openapi::{OpenApi, OpenApiService};
use tracing::Instrument;

use checkout_auth::TokenVerifier;
use checkout_contract::trace::{TraceContext, continue_or_start};

use crate::HttpLimits;

use super::{
    BodyLimit, COMMON_PROBLEMS, Operation, ProblemType, Routes, problem_from_error,
    rate_limit::RateLimit,
    spec::{docs_page, finished_spec, json_document},
};

/// Header carrying the request's correlation id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";
/// W3C trace context header.
pub const TRACEPARENT_HEADER: &str = "traceparent";

/// Assembles a service's public HTTP surface: its operations, the OpenAPI document at
/// `/openapi.json`, Swagger UI at `/docs` (showing that same document), a page per kind of
/// problem at `/problems/<kind>` (the problems' `type`), rate limits per caller on writes and lookups, a
/// time limit per request, a body limit, one log line per request carrying its
/// `x-request-id`, and problem details for every error. Probes and metrics are served
/// apart, by [`admin_endpoint`](super::admin_endpoint).
///
/// `operations` are the route table: every operation `apis` serves, as its module declares
/// it; the document, the rate limits, the body limit, the metric labels and `Allow` all come
/// from them. `description` is the document's `info.description`. `verifier` checks the
/// access tokens of the operations that take an [`Authenticated`](super::Authenticated)
/// caller.
pub fn service_endpoint<T: OpenApi + 'static>(
    apis: T,
    title: &str,
    description: &str,
    operations: &[Operation],
    verifier: Arc<TokenVerifier>,
    limits: &HttpLimits,
) -> BoxEndpoint<'static> {
    checkout_runtime::telemetry::install_metrics();
    let service = OpenApiService::new(apis, title, env!("CARGO_PKG_VERSION")).description(description);
    let routes = Arc::new(Routes::new(operations, PAGES));
    let spec = finished_spec(&service.spec(), &routes);
    // Swagger UI shows the document as served at /openapi.json, not the generated one.
    let docs = docs_page(&service.swagger_ui_html(), &spec);
    let problems: Arc<[ProblemType]> = problem_types(operations).into();
    let rate_limit = RateLimit::new(limits.rate_limits(), routes.clone(), verifier.clone());
    let request_timeout = limits.request_timeout();
    let max_body_bytes = usize::try_from(limits.max_body_bytes).unwrap_or(usize::MAX);
    Route::new()
        .at("/openapi.json", json_document(&spec))
        .nest("/docs", make_sync(move |_| Html(docs.clone())))
        .at("/problems", problem_page(problems.clone()))
        .at("/problems/:kind", problem_page(problems))
        // Browsers ask for it beside every page they show (the raw document, say).
        .at("/favicon.ico", make_sync(|_| StatusCode::NO_CONTENT))
        .nest("/", service)
        .data(verifier)
        .with(BodyLimit::new(max_body_bytes, routes.clone()))
        // Outside the body limit: a refused request is not even read.
        .with(rate_limit)
        .around(move |next, req| super::timeout::within(next, req, request_timeout))
        .catch_all_error(problem_from_error)
        .around(move |next, req| log_request(next, req, routes.clone()))
        .map_to_response()
        .boxed()
}

/// What the public listener serves beside the operations, labelled as themselves in the
/// metrics.
const PAGES: &[&str] = &[
    "/openapi.json",
    "/docs",
    "/problems",
    "/problems/{kind}",
    "/favicon.ico",
];

/// Every kind of problem the service answers with: the common ones, then each operation's
/// own, once.
///
/// # Panics
/// Two different problems share a kind: a mistake in the declarations, which every test of
/// the document shows.
fn problem_types(operations: &[Operation]) -> Vec<ProblemType> {
    let mut kinds: Vec<ProblemType> = COMMON_PROBLEMS.to_vec();
    for problem in operations.iter().flat_map(|o| o.problems) {
        match kinds.iter().find(|k| k.kind == problem.kind) {
            Some(known) => assert_eq!(known, problem, "two problems are named {:?}", problem.kind),
            None => kinds.push(*problem),
        }
    }
    kinds
}

fn problem_page(kinds: Arc<[ProblemType]>) -> impl Endpoint<Output = Response> {
    make_sync(move |req| super::problem_types::page(&req, &kinds))
}

/// Logs one line per request inside a span that carries the request id, which is taken
/// from the `x-request-id` header when the client sent a sane one and generated otherwise,
/// and echoed in the response. Also records the request's metrics by documented route, and
/// adds `Allow` to 405 answers (poem leaves it out).
async fn log_request<E: Endpoint>(next: Arc<E>, req: Request, routes: Arc<Routes>) -> Result<Response> {
    let method = method_label(req.method()).to_owned();
    // Label by documented route, not raw path, so ids do not explode the metric's cardinality.
    let matched = routes.matching(req.uri().path());
    let route = matched.map_or("unmatched", |r| r.template).to_owned();
    let allow = matched.map(|r| r.allow.clone());
    let request_id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.chars().all(|c| c.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let traceparent = continue_or_start(req.headers().get(TRACEPARENT_HEADER).and_then(|v| v.to_str().ok()));
    let context = TraceContext {
        request_id: Some(request_id.clone()),
        traceparent: Some(traceparent),
    };
    // The route, not the path: paths carry voucher codes, which must not reach the logs.
    let span = tracing::info_span!(
        "http_request",
        method = %method,
        route = %route,
        request_id = %request_id,
        trace_id = context.trace_id().unwrap_or_default(),
    );
    let mut req = req;
    // Handlers that emit events read it with `Data<&TraceContext>`.
    req.extensions_mut().insert(context);
    async move {
        let started = Instant::now();
        let mut response = match next.call(req).await {
            Ok(response) => response.into_response(),
            Err(err) => err.into_response(),
        };
        let status = response.status().as_u16();
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        if status >= 500 {
            tracing::error!(status, latency_ms, "request failed");
        } else {
            tracing::info!(status, latency_ms, "request handled");
        }
        let labels = [("method", method.clone()), ("route", route.clone())];
        metrics::histogram!("http_request_duration_seconds", &labels).record(started.elapsed().as_secs_f64());
        metrics::counter!("http_requests_total", "method" => method, "route" => route, "status" => status.to_string())
            .increment(1);
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert(REQUEST_ID_HEADER, value);
        }
        if status == StatusCode::METHOD_NOT_ALLOWED.as_u16()
            && let Some(value) = allow
        {
            response.headers_mut().insert(header::ALLOW, value);
        }
        Ok(response)
    }
    .instrument(span)
    .await
}

/// The method as a metric label and log field: a closed set, so that no request can add a
/// series (or a log value) of its own making.
fn method_label(method: &poem::http::Method) -> &'static str {
    use poem::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use poem::test::TestClient;
    use poem_openapi::{OpenApi, payload::PlainText};
    use serde_json::json;

    use super::*;
    use checkout_auth::{KeySource, Permission, Scope};
    use checkout_testing::{AccessToken, DevSigningKey};

    use crate::{ApiError, Authenticated};

    const ISSUER: &str = "https://id.example.test/";
    const READ: Permission = Permission {
        scopes: &[Scope::OrdersRead, Scope::OrdersAdmin],
        rule: "A customer reads its own things.",
    };

    struct Api;

    #[OpenApi]
    impl Api {
        /// Echo a limit
        #[oai(path = "/things", method = "get")]
        async fn things(
            &self,
            _caller: Authenticated,
            limit: poem_openapi::param::Query<Option<crate::Documented<crate::PageLimitParam>>>,
        ) -> PlainText<String> {
            PlainText(limit.0.map(|l| l.0).unwrap_or_default())
        }

        /// Who is asking
        #[oai(path = "/me", method = "get")]
        async fn me(&self, caller: Authenticated) -> Result<PlainText<String>, ApiError> {
            READ.check(&caller.0).map_err(|e| ApiError::forbidden(&e))?;
            Ok(PlainText(caller.0.subject().to_owned()))
        }
    }

    /// A verifier of tokens signed by `key`, its JWKS in a file, and the file's directory.
    fn verifier(key: &DevSigningKey) -> (Arc<TokenVerifier>, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("endpoint-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir(&dir).unwrap();
        let jwks = dir.join("jwks.json");
        std::fs::write(&jwks, serde_json::to_vec(&key.jwks()).unwrap()).unwrap();
        let verifier = TokenVerifier::new(ISSUER, "order", KeySource::File(jwks)).unwrap();
        (Arc::new(verifier), dir)
    }

    const ME: Operation = Operation {
        method: poem::http::Method::GET,
        path: "/me",
        permission: READ,
        rate_limit: None,
        takes_body: false,
        problems: &[crate::problem_types::INVALID_TOKEN],
    };

    const THINGS: Operation = Operation {
        path: "/things",
        problems: &[crate::problem_types::VALIDATION, crate::problem_types::INVALID_TOKEN],
        ..ME
    };

    fn endpoint(verifier: Arc<TokenVerifier>) -> TestClient<BoxEndpoint<'static>> {
        TestClient::new(service_endpoint(Api, "Test", "", &[ME, THINGS], verifier, &limits()))
    }

    fn limits() -> HttpLimits {
        use clap::Parser;
        #[derive(Parser)]
        struct Defaults {
            #[command(flatten)]
            limits: HttpLimits,
        }
        Defaults::parse_from(["test"]).limits
    }

    fn token(key: &DevSigningKey, subject: &str, scopes: &[Scope]) -> String {
        let token = AccessToken::customer(ISSUER, &["order".to_owned()], subject, scopes);
        format!("Bearer {}", key.sign(&token))
    }

    #[tokio::test]
    async fn an_operation_with_an_authenticated_caller_needs_a_valid_token() {
        let key = DevSigningKey::generate().unwrap();
        let (verifier, dir) = verifier(&key);
        let client = endpoint(verifier);

        let anonymous = client.get("/me").send().await;
        anonymous.assert_status(StatusCode::UNAUTHORIZED);
        anonymous.assert_header("WWW-Authenticate", r#"Bearer error="invalid_token""#);
        anonymous.assert_content_type("application/problem+json");
        let problem = anonymous.json().await;
        problem
            .value()
            .object()
            .get("type")
            .assert_string("/problems/invalid-token");

        let other_key = DevSigningKey::generate().unwrap();
        let forged = client
            .get("/me")
            .header("Authorization", token(&other_key, "alice", &[Scope::OrdersRead]))
            .send()
            .await;
        forged.assert_status(StatusCode::UNAUTHORIZED);

        let no_scope = client
            .get("/me")
            .header("Authorization", token(&key, "alice", &[Scope::OrdersWrite]))
            .send()
            .await;
        no_scope.assert_status(StatusCode::FORBIDDEN);
        no_scope.assert_header(
            "WWW-Authenticate",
            r#"Bearer error="insufficient_scope", scope="orders:read orders:admin""#,
        );

        let allowed = client
            .get("/me")
            .header("Authorization", token(&key, "alice", &[Scope::OrdersRead]))
            .send()
            .await;
        allowed.assert_status_is_ok();
        allowed.assert_text("alice").await;
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn methods_outside_the_standard_ones_share_one_label() {
        for (method, label) in [
            ("GET", "GET"),
            ("PATCH", "PATCH"),
            ("PURGE", "other"),
            ("X-ANYTHING-1", "other"),
        ] {
            let method = poem::http::Method::from_bytes(method.as_bytes()).unwrap();
            assert_eq!(method_label(&method), label);
        }
    }

    #[tokio::test]
    async fn the_document_declares_the_bearer_scheme_and_each_operations_scopes() {
        let key = DevSigningKey::generate().unwrap();
        let (verifier, dir) = verifier(&key);
        let document = endpoint(verifier).get("/openapi.json").send().await;
        let document: serde_json::Value =
            serde_json::from_str(&document.0.into_body().into_string().await.unwrap()).unwrap();
        assert_eq!(
            document["components"]["securitySchemes"]["bearerAuth"]["scheme"],
            "bearer"
        );
        let me = &document["paths"]["/me"]["get"];
        assert_eq!(me["security"], json!([{"bearerAuth": []}]));
        assert_eq!(me["x-required-scopes"], json!(["orders:read", "orders:admin"]));
        let description = me["description"].as_str().unwrap();
        assert!(
            description.contains("`orders:read` or `orders:admin`") && description.contains(READ.rule),
            "{description}"
        );
        assert!(document["paths"]["/me"]["get"]["responses"]["401"].is_object());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn the_docs_page_embeds_the_document_served_at_openapi_json() {
        let key = DevSigningKey::generate().unwrap();
        let (verifier, dir) = verifier(&key);
        let client = endpoint(verifier);
        std::fs::remove_dir_all(dir).unwrap();
        let document = client.get("/openapi.json").send().await;
        document.assert_status_is_ok();
        let document: serde_json::Value =
            serde_json::from_str(&document.0.into_body().into_string().await.unwrap()).unwrap();
        assert_eq!(
            document["paths"]["/things"]["get"]["parameters"][0]["schema"]["maximum"],
            checkout_domain::PageLimit::MAX
        );
        let page = client.get("/docs").send().await;
        page.assert_status_is_ok();
        let html = page.0.into_body().into_string().await.unwrap();
        assert!(html.contains(&document.to_string()), "/docs embeds another document");
    }
}
