//! HTTP plumbing common to both services: RFC 9457 problem details for every error, a
//! request body limit, strict JSON strings, request logging and the health endpoints.

mod body_limit;
mod endpoint;
mod health;
mod problem;
mod server;
mod spec;
mod strict;

pub use body_limit::{BodyLimit, BodyLimitEndpoint};
pub use endpoint::{REQUEST_ID_HEADER, TRACEPARENT_HEADER, service_endpoint};
pub use health::{DependencyCheck, DependencyStatus, HealthApi, MetricsApi, Readiness, ReadyResponse};
pub use problem::{ApiError, PROBLEM_JSON, Problem, problem_from_error, problem_response};
pub use server::HttpServer;
pub use spec::{DocumentedRoutes, finished_spec};
pub use strict::StrictString;
