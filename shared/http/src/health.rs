//! The admin surface: liveness, readiness and metrics, served on a listener of their own.

use std::sync::Arc;

use poem::{EndpointExt, Route, endpoint::BoxEndpoint};
use poem_openapi::{ApiResponse, Object, OpenApi, OpenApiService, payload::Json, types::Example};

use super::{DependencyCheck, problem_from_error};

/// The admin listener's endpoint: `GET /health`, `GET /ready` and `GET /metrics`, without a
/// token, and problem details for anything else. It belongs on an address only operators and
/// the orchestrator reach (loopback by default), never on the public port.
pub fn admin_endpoint(health: HealthApi, title: &str) -> BoxEndpoint<'static> {
    let metrics = MetricsApi::new(checkout_runtime::telemetry::install_metrics());
    let service = OpenApiService::new((health, metrics), format!("{title} (admin)"), env!("CARGO_PKG_VERSION"));
    Route::new()
        .nest("/", service)
        .catch_all_error(problem_from_error)
        .map_to_response()
        .boxed()
}

/// Liveness report.
#[derive(Debug, Object)]
#[oai(example)]
pub struct Liveness {
    /// Always `ok`: the process is up and answers HTTP.
    pub status: String,
}

impl Example for Liveness {
    fn example() -> Self {
        Self { status: "ok".into() }
    }
}

/// State of one dependency in the readiness report.
#[derive(Debug, Object)]
pub struct DependencyStatus {
    /// The dependency: `database`, `redis` or `consumer`.
    pub name: String,
    /// `ok` or `unavailable`.
    pub status: String,
    /// Whether the service is ready only while this dependency answers; one that is not
    /// required is reported, and the service keeps taking traffic without it.
    pub required: bool,
}

/// Readiness report.
#[derive(Debug, Object)]
#[oai(example)]
pub struct Readiness {
    /// `ready` when every required dependency answers, otherwise `unavailable`.
    pub status: String,
    /// Each dependency checked, required or only reported.
    pub dependencies: Vec<DependencyStatus>,
}

impl Example for Readiness {
    fn example() -> Self {
        let dependency = |name: &str, status: &str, required| DependencyStatus {
            name: name.into(),
            status: status.into(),
            required,
        };
        Self {
            status: "ready".into(),
            dependencies: vec![dependency("database", "ok", true), dependency("redis", "ok", false)],
        }
    }
}

#[derive(ApiResponse)]
pub enum ReadyResponse {
    /// Every required dependency answers: send traffic.
    #[oai(status = 200)]
    Ready(Json<Readiness>),
    /// A required dependency does not answer; the process itself is alive.
    #[oai(status = 503)]
    NotReady(Json<Readiness>),
}

/// Health endpoints, shared by both services.
pub struct HealthApi {
    /// Each check, and whether readiness depends on it.
    checks: Vec<(Arc<dyn DependencyCheck>, bool)>,
}

impl HealthApi {
    /// Readiness depends on each of `required`; each of `reported` is checked and shown (in
    /// the report and in `dependency_up`) but does not make the service unready.
    pub fn new(required: Vec<Arc<dyn DependencyCheck>>, reported: Vec<Arc<dyn DependencyCheck>>) -> Self {
        metrics::describe_gauge!(
            "dependency_up",
            "1 if the dependency answered the last readiness check, else 0"
        );
        let checks = required
            .into_iter()
            .map(|c| (c, true))
            .chain(reported.into_iter().map(|c| (c, false)))
            .collect();
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
    async fn health(&self) -> Json<Liveness> {
        Json(Liveness { status: "ok".into() })
    }

    /// Readiness: "send me traffic". Every required dependency answers (the order service
    /// needs its database; the voucher service its database and Redis); the others are
    /// reported with their state.
    #[oai(path = "/ready", method = "get")]
    async fn ready(&self) -> ReadyResponse {
        let mut all_ok = true;
        let mut dependencies = Vec::with_capacity(self.checks.len());
        for (check, required) in &self.checks {
            let up = match check.check().await {
                Ok(()) => true,
                Err(reason) => {
                    tracing::warn!(dependency = check.name(), required, %reason, "readiness check failed");
                    all_ok &= !required;
                    false
                }
            };
            metrics::gauge!("dependency_up", "dependency" => check.name()).set(if up { 1.0 } else { 0.0 });
            dependencies.push(DependencyStatus {
                name: check.name().to_owned(),
                status: if up { "ok" } else { "unavailable" }.to_owned(),
                required: *required,
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

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(&'static str, bool);

    #[async_trait::async_trait]
    impl DependencyCheck for Fixed {
        fn name(&self) -> &'static str {
            self.0
        }

        async fn check(&self) -> std::result::Result<(), String> {
            if self.1 { Ok(()) } else { Err("down".to_owned()) }
        }
    }

    fn check(name: &'static str, up: bool) -> Arc<dyn DependencyCheck> {
        Arc::new(Fixed(name, up))
    }

    #[tokio::test]
    async fn only_a_required_dependency_makes_the_service_unready() {
        let reported_down = HealthApi::new(vec![check("database", true)], vec![check("redis", false)]);
        let ReadyResponse::Ready(Json(report)) = reported_down.ready().await else {
            panic!("a reported dependency that is down must not make the service unready");
        };
        assert_eq!(report.status, "ready");
        let redis = &report.dependencies[1];
        assert_eq!(
            (redis.name.as_str(), redis.status.as_str(), redis.required),
            ("redis", "unavailable", false)
        );

        let required_down = HealthApi::new(vec![check("database", true), check("redis", false)], vec![]);
        let ReadyResponse::NotReady(Json(report)) = required_down.ready().await else {
            panic!("a required dependency that is down makes the service unready");
        };
        assert_eq!(report.status, "unavailable");
    }
}
