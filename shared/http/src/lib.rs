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
mod operation;
mod problem;
mod problem_types;
#[cfg(feature = "profiling")]
pub mod profiling;
mod rate_limit;
mod schema;
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
pub use operation::{Operation, RateClass, Route, Routes};
pub use problem::{ApiError, FieldError, PROBLEM_JSON, Problem, Violations, problem_from_error, problem_response};
pub use problem_types::{COMMON_PROBLEMS, ProblemType};
pub use schema::{CustomerIdParam, Documented, PageLimitParam, Rule, integer_schema, text_schema, uuid_schema};

/// The kinds of problem both services answer with, one constant each.
pub mod problems {
    pub use crate::problem_types::{
        INSUFFICIENT_SCOPE, INTERNAL, INVALID_JSON, INVALID_REQUEST, INVALID_TOKEN, METHOD_NOT_ALLOWED, NOT_FOUND,
        OTHER_CUSTOMER, PAYLOAD_TOO_LARGE, RATE_LIMITED, REQUEST_TIMEOUT, TIMEOUT, UNAVAILABLE, UNSUPPORTED_MEDIA_TYPE,
        VALIDATION,
    };
}
pub use rate_limit::{Rate, RateLimits};
pub use server::{ConnectionLimits, HttpServer, Listeners};
pub use spec::finished_spec;
