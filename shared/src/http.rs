//! HTTP plumbing common to both services: RFC 9457 problem details for every error,
//! a request body limit, and the `/health` and `/ready` endpoints.

use std::sync::Arc;

use std::time::Instant;

use poem::{
    Endpoint, EndpointExt, IntoResponse, Middleware, Request, Response, Result, Route,
    endpoint::BoxEndpoint,
    http::{HeaderValue, StatusCode},
    web::headers::HeaderMapExt,
};
use poem_openapi::{ApiResponse, Object, OpenApi, OpenApiService, payload::Json};
use tracing::Instrument;

/// Media type of problem-details bodies.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An error, described as RFC 9457 problem details.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
pub struct Problem {
    /// A URI reference naming the kind of problem.
    #[oai(rename = "type")]
    pub kind: String,
    /// Short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request, for a human.
    pub detail: String,
}

impl Problem {
    pub fn new(status: StatusCode, kind: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("/problems/{kind}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
        }
    }
}

/// Every error status the services answer with. Operations return `Result<_, ApiError>`,
/// so each of these appears in the OpenAPI document with the [`Problem`] schema.
#[derive(Debug, ApiResponse)]
pub enum ApiError {
    /// The request is malformed or fails validation; nothing was changed.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// No such resource.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// The request conflicts with the resource's current state; nothing was changed.
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// The request body exceeds the size limit.
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// The request body is not JSON.
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// An unexpected server-side failure; details are in the service's logs only.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
    /// A dependency (database or Redis) is unreachable; retry later.
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(Json<Problem>),
}

impl ApiError {
    pub fn bad_request(kind: &str, detail: impl Into<String>) -> Self {
        Self::BadRequest(Json(Problem::new(StatusCode::BAD_REQUEST, kind, detail)))
    }

    pub fn not_found(kind: &str, detail: impl Into<String>) -> Self {
        Self::NotFound(Json(Problem::new(StatusCode::NOT_FOUND, kind, detail)))
    }

    pub fn conflict(kind: &str, detail: impl Into<String>) -> Self {
        Self::Conflict(Json(Problem::new(StatusCode::CONFLICT, kind, detail)))
    }

    /// A 500 whose body says nothing about the cause; the cause is logged here, once.
    pub fn internal(error: &(dyn std::error::Error + 'static)) -> Self {
        tracing::error!(error.message = %error, error.cause_chain = ?error, "request failed");
        Self::Internal(Json(Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "an unexpected error occurred; it has been logged",
        )))
    }

    /// A 503 for a dependency that is down; the cause is logged, not returned.
    pub fn unavailable(error: &(dyn std::error::Error + 'static)) -> Self {
        tracing::warn!(error.message = %error, error.cause_chain = ?error, "dependency unavailable");
        Self::Unavailable(Json(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "a backing service is unavailable; retry later",
        )))
    }
}

/// Turns any error that escaped the operations (unknown route, wrong method, a body or
/// parameter poem-openapi could not parse, an oversized body) into problem details.
/// Client errors keep poem's message as `detail`; server errors reveal nothing.
pub async fn problem_from_error(err: poem::Error) -> Response {
    if err.is_from_response() {
        // Already rendered by an operation (an `ApiError`): keep it as it is.
        return err.into_response();
    }
    let status = err.status();
    let problem = if status.is_server_error() {
        tracing::error!(error.message = %err, status = status.as_u16(), "unhandled error");
        Problem::new(
            status,
            "internal",
            "an unexpected error occurred; it has been logged",
        )
    } else {
        let kind = match status {
            StatusCode::NOT_FOUND => "not-found",
            StatusCode::METHOD_NOT_ALLOWED => "method-not-allowed",
            StatusCode::PAYLOAD_TOO_LARGE => "payload-too-large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported-media-type",
            _ => "invalid-request",
        };
        Problem::new(status, kind, err.to_string())
    };
    problem_response(&problem)
}

/// Renders a problem as a response with the problem+json media type.
pub fn problem_response(problem: &Problem) -> Response {
    let body = poem_openapi::types::ToJSON::to_json_string(problem);
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    body.with_status(status)
        .with_content_type(PROBLEM_JSON)
        .into_response()
}

/// Rejects request bodies larger than `max_bytes` with 413, whether or not the client sent a
/// `Content-Length`. Bodies are small JSON documents, so reading them up front is cheap.
pub struct BodyLimit {
    max_bytes: usize,
}

impl BodyLimit {
    pub fn new(max_bytes: usize) -> Self {
        Self { max_bytes }
    }
}

impl<E: Endpoint> Middleware<E> for BodyLimit {
    type Output = BodyLimitEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        BodyLimitEndpoint {
            inner,
            max_bytes: self.max_bytes,
        }
    }
}

pub struct BodyLimitEndpoint<E> {
    inner: E,
    max_bytes: usize,
}

impl<E: Endpoint> Endpoint for BodyLimitEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        if let Some(len) = req
            .headers()
            .typed_get::<poem::web::headers::ContentLength>()
            && len.0 > self.max_bytes as u64
        {
            return Err(poem::Error::from_status(StatusCode::PAYLOAD_TOO_LARGE));
        }
        let body = req.take_body().into_bytes_limit(self.max_bytes).await?;
        req.set_body(body);
        self.inner.call(req).await
    }
}

/// Something the service needs in order to do its work, checked by `/ready`.
#[async_trait::async_trait]
pub trait DependencyCheck: Send + Sync {
    /// Short name shown in the readiness report, e.g. `database`.
    fn name(&self) -> &'static str;
    /// Succeeds when the dependency answers.
    async fn check(&self) -> std::result::Result<(), String>;
}

/// State of one dependency in the readiness report.
#[derive(Debug, Object)]
pub struct DependencyStatus {
    pub name: String,
    /// `ok` or `unavailable`.
    pub status: String,
}

/// Readiness report.
#[derive(Debug, Object)]
pub struct Readiness {
    /// `ready` when every dependency answers, otherwise `unavailable`.
    pub status: String,
    pub dependencies: Vec<DependencyStatus>,
}

#[derive(ApiResponse)]
pub enum ReadyResponse {
    /// Every dependency answers.
    #[oai(status = 200)]
    Ready(Json<Readiness>),
    /// At least one dependency does not answer; the process itself is alive.
    #[oai(status = 503)]
    NotReady(Json<Readiness>),
}

/// Health endpoints, shared by both services.
pub struct HealthApi {
    checks: Vec<Arc<dyn DependencyCheck>>,
}

impl HealthApi {
    pub fn new(checks: Vec<Arc<dyn DependencyCheck>>) -> Self {
        Self { checks }
    }
}

#[derive(poem_openapi::Tags)]
enum HealthTags {
    /// Liveness and readiness probes.
    Health,
}

#[OpenApi(tag = "HealthTags::Health")]
impl HealthApi {
    /// Liveness: the process is up and serving HTTP.
    #[oai(path = "/health", method = "get")]
    async fn health(&self) -> Json<serde_json::Value> {
        Json(serde_json::json!({ "status": "ok" }))
    }

    /// Readiness: the database and Redis both answer.
    #[oai(path = "/ready", method = "get")]
    async fn ready(&self) -> ReadyResponse {
        let mut all_ok = true;
        let mut dependencies = Vec::with_capacity(self.checks.len());
        for check in &self.checks {
            let status = match check.check().await {
                Ok(()) => "ok",
                Err(reason) => {
                    tracing::warn!(dependency = check.name(), %reason, "readiness check failed");
                    all_ok = false;
                    "unavailable"
                }
            };
            dependencies.push(DependencyStatus {
                name: check.name().to_owned(),
                status: status.to_owned(),
            });
        }
        let report = |status: &str| Readiness {
            status: status.to_owned(),
            dependencies,
        };
        if all_ok {
            ReadyResponse::Ready(Json(report("ready")))
        } else {
            ReadyResponse::NotReady(Json(report("unavailable")))
        }
    }
}

/// Header carrying the request's correlation id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Assembles a service's HTTP surface: its operations plus the health endpoints, the OpenAPI
/// document at `/openapi.json`, Swagger UI at `/docs`, a body limit, one log line per
/// request carrying its `x-request-id`, and problem details for every error.
pub fn service_endpoint<T: OpenApi + 'static>(
    apis: T,
    health: HealthApi,
    title: &str,
    max_body_bytes: usize,
) -> BoxEndpoint<'static> {
    let service = OpenApiService::new((apis, health), title, env!("CARGO_PKG_VERSION"));
    let spec = service.spec_endpoint();
    let docs = service.swagger_ui();
    Route::new()
        .at("/openapi.json", spec)
        .nest("/docs", docs)
        .nest("/", service)
        .with(BodyLimit::new(max_body_bytes))
        .catch_all_error(problem_from_error)
        .around(log_request)
        .map_to_response()
        .boxed()
}

/// Logs one line per request inside a span that carries the request id, which is taken
/// from the `x-request-id` header when the client sent a sane one and generated otherwise,
/// and echoed in the response.
async fn log_request<E: Endpoint>(next: std::sync::Arc<E>, req: Request) -> Result<Response> {
    let request_id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.chars().all(|c| c.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let span = tracing::info_span!(
        "http_request",
        method = %req.method(),
        path = %req.uri().path(),
        request_id = %request_id,
    );
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
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert(REQUEST_ID_HEADER, value);
        }
        Ok(response)
    }
    .instrument(span)
    .await
}
