//! HTTP plumbing common to both services: RFC 9457 problem details for every error, a
//! request body limit, rate limits, strict JSON strings, request logging, the server with its
//! timeouts and connection cap, and the admin endpoints (health, metrics).
#![forbid(unsafe_code)]

mod auth;
mod body_limit;
mod connection;
mod documented_responses;
mod endpoint;
mod health;
mod json;
mod problem;
mod problem_types;
#[cfg(feature = "profiling")]
pub mod profiling;
mod rate_limit;
mod server;
mod settings;
mod spec;
mod timeout;

pub use checkout_runtime::DependencyCheck;
pub use settings::{HttpLimits, HttpSettings};

pub use auth::{Authenticated, BEARER_SCHEME};
pub use body_limit::{BodyLimit, BodyLimitEndpoint};
pub use endpoint::{REQUEST_ID_HEADER, TRACEPARENT_HEADER, service_endpoint};
pub use health::{DependencyStatus, HealthApi, MetricsApi, Readiness, ReadyResponse, admin_endpoint};
pub use json::{JsonBody, StrictJson, parse as parse_json, rfc3339};
pub use problem::{ApiError, FieldError, PROBLEM_JSON, Problem, Violations, problem_from_error, problem_response};
pub use problem_types::{COMMON_PROBLEMS, ProblemType};
pub use rate_limit::{Rate, RateLimits};
pub use server::{ConnectionLimits, HttpServer, Listeners};
pub use spec::{DocumentedRoutes, DocumentedRules, finished_spec, page_limit_field, text_field};
