//! The admin surface: liveness, readiness and metrics, served on a listener of their own.

use std::sync::Arc;

use poem::{EndpointExt, Route, endpoint::BoxEndpoint};
use poem_openapi::{ApiResponse, Object, OpenApi, OpenApiService, payload::Json};

use super::problem_from_error;

/// The admin listener's endpoint: `GET /health`, `GET /ready` and `GET /metrics`, without a
/// token, and problem details for anything else. It belongs on an address only operators and
/// the orchestrator reach (loopback by default), never on the public port.
pub fn admin_endpoint(health: HealthApi, title: &str) -> BoxEndpoint<'static> {
    let metrics = MetricsApi::new(crate::telemetry::install_metrics());
    let service = OpenApiService::new((health, metrics), format!("{title} (admin)"), env!("CARGO_PKG_VERSION"));
    Route::new()
        .nest("/", service)
        .catch_all_error(problem_from_error)
        .map_to_response()
        .boxed()
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

/// `GET /metrics`, documented like every other operation.
pub struct MetricsApi {
    handle: metrics_exporter_prometheus::PrometheusHandle,
}

impl MetricsApi {
    pub fn new(handle: metrics_exporter_prometheus::PrometheusHandle) -> Self {
        Self { handle }
    }
}

#[derive(ApiResponse)]
enum MetricsResponse {
    /// Metrics in the Prometheus text exposition format (version 0.0.4).
    #[oai(status = 200, content_type = "text/plain; version=0.0.4")]
    Ok(poem_openapi::payload::PlainText<String>),
}

#[OpenApi(tag = "HealthTags::Health")]
impl MetricsApi {
    /// Prometheus metrics
    #[oai(path = "/metrics", method = "get")]
    async fn metrics(&self) -> MetricsResponse {
        MetricsResponse::Ok(poem_openapi::payload::PlainText(self.handle.render()))
    }
}
