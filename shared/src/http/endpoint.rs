use std::{sync::Arc, time::Instant};

use poem::{
    Endpoint, EndpointExt, IntoResponse, Request, Response, Result, Route,
    endpoint::{BoxEndpoint, make_sync},
    http::{HeaderValue, StatusCode, header},
    web::Html,
};
use poem_openapi::{OpenApi, OpenApiService};
use tracing::Instrument;

use crate::trace::{TraceContext, continue_or_start};

use super::{
    BodyLimit, DocumentedRules, HealthApi, MetricsApi, problem_from_error,
    spec::{DocumentedRoutes, finished_spec, json_document},
};

/// Header carrying the request's correlation id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";
/// W3C trace context header.
pub const TRACEPARENT_HEADER: &str = "traceparent";

/// Assembles a service's HTTP surface: its operations plus the health endpoints, the OpenAPI
/// document at `/openapi.json`, Swagger UI at `/docs`, a body limit, one log line per
/// request carrying its `x-request-id`, and problem details for every error.
///
/// `rules` are the constraints the service checks in its domain types, so the document can
/// say so.
pub fn service_endpoint<T: OpenApi + 'static>(
    apis: T,
    health: HealthApi,
    title: &str,
    max_body_bytes: usize,
    rules: &DocumentedRules,
) -> BoxEndpoint<'static> {
    let metrics = MetricsApi::new(crate::telemetry::install_metrics());
    let service = OpenApiService::new((apis, health, metrics), title, env!("CARGO_PKG_VERSION"));
    let generated = service.spec();
    let spec = finished_spec(&generated, rules);
    let routes = Arc::new(DocumentedRoutes::from_spec(&spec));
    // Swagger UI shows the document as served at /openapi.json, not the generated one.
    let docs = service.swagger_ui_html().replacen(&generated, &spec.to_string(), 1);
    Route::new()
        .at("/openapi.json", json_document(spec))
        .nest("/docs", make_sync(move |_| Html(docs.clone())))
        .nest("/", service)
        .with(BodyLimit::new(max_body_bytes))
        .catch_all_error(problem_from_error)
        .around(move |next, req| log_request(next, req, routes.clone()))
        .map_to_response()
        .boxed()
}

/// Logs one line per request inside a span that carries the request id, which is taken
/// from the `x-request-id` header when the client sent a sane one and generated otherwise,
/// and echoed in the response. Also records the request's metrics by documented route, and
/// adds `Allow` to 405 answers (poem leaves it out).
async fn log_request<E: Endpoint>(next: Arc<E>, req: Request, routes: Arc<DocumentedRoutes>) -> Result<Response> {
    let method = req.method().to_string();
    // Label by documented route, not raw path, so ids do not explode the metric's cardinality.
    let matched = routes.matching(req.uri().path());
    let route = matched.map_or("unmatched", |r| r.template.as_str()).to_owned();
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
    let span = tracing::info_span!(
        "http_request",
        method = %req.method(),
        path = %req.uri().path(),
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

#[cfg(test)]
mod tests {
    use poem::test::TestClient;
    use poem_openapi::{OpenApi, payload::PlainText};
    use serde_json::json;

    use super::*;

    struct Api;

    #[OpenApi]
    impl Api {
        /// Echo a limit
        #[oai(path = "/things", method = "get")]
        async fn things(&self, limit: poem_openapi::param::Query<Option<String>>) -> PlainText<String> {
            PlainText(limit.0.unwrap_or_default())
        }
    }

    #[tokio::test]
    async fn the_docs_page_embeds_the_document_served_at_openapi_json() {
        let rules = DocumentedRules {
            parameters: vec![("limit", json!({"maximum": 77}))],
            ..DocumentedRules::default()
        };
        let client = TestClient::new(service_endpoint(Api, HealthApi::new(Vec::new()), "Test", 1024, &rules));
        let document = client.get("/openapi.json").send().await;
        document.assert_status_is_ok();
        let document: serde_json::Value =
            serde_json::from_str(&document.0.into_body().into_string().await.unwrap()).unwrap();
        assert_eq!(
            document["paths"]["/things"]["get"]["parameters"][0]["schema"]["maximum"],
            77
        );
        let page = client.get("/docs").send().await;
        page.assert_status_is_ok();
        let html = page.0.into_body().into_string().await.unwrap();
        assert!(html.contains(&document.to_string()), "/docs embeds another document");
    }
}
