use poem::{IntoResponse, Response, http::StatusCode};
use poem_openapi::{ApiResponse, Object, payload::Json};

use checkout_auth::{AccessDenied, AuthError};

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
    /// For a request that breaks rules: each field (as the client wrote it, such as
    /// `items[0].quantity`) and the rule it broke.
    #[oai(default, skip_serializing_if_is_empty)]
    pub errors: Vec<FieldError>,
}

/// One field of a request and the rule it broke.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
pub struct FieldError {
    /// The field or parameter as the client wrote it: `customer_id`, `items[0].quantity`, `limit`.
    pub field: String,
    /// The rule it broke: `must be an integer from 1 to 1000`.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Collects what is wrong with a request, field by field, so that one answer lists it all.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldError>);

impl Violations {
    /// The value of `result`, or `None` after recording its error against `field`.
    pub fn check<T, E: std::fmt::Display>(&mut self, field: impl Into<String>, result: Result<T, E>) -> Option<T> {
        result
            .map_err(|e| self.0.push(FieldError::new(field, e.to_string())))
            .ok()
    }

    /// The value of `result`, or a 400 naming `field` alone (a path parameter, say).
    ///
    /// # Errors
    /// A 400 [`ApiError`] with `field` and the error's message.
    pub fn single<T, E: std::fmt::Display>(field: &str, result: Result<T, E>) -> Result<T, ApiError> {
        result.map_err(|e| ApiError::invalid(vec![FieldError::new(field, e.to_string())]))
    }

    /// `Ok(())` when nothing was recorded.
    ///
    /// # Errors
    /// A 400 [`ApiError`] listing every recorded field.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid(self.0))
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl Problem {
    pub fn new(status: StatusCode, kind: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("/problems/{kind}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
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
    /// No valid access token: none was sent, or it is expired, not yet valid, for another
    /// issuer or audience, or its signature does not verify.
    #[oai(status = 401, content_type = "application/problem+json")]
    // Boxed: the challenge header would make every `Result<_, ApiError>` larger.
    Unauthorized(
        Json<Box<Problem>>,
        /// `Bearer error="invalid_token"` (RFC 6750).
        #[oai(header = "WWW-Authenticate")]
        String,
    ),
    /// The token is valid but does not allow this: it lacks the scope the operation needs
    /// (`insufficient_scope`), or the request names another customer.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(
        Json<Box<Problem>>,
        /// For a missing scope, `Bearer error="insufficient_scope", scope="..."` naming the
        /// scopes that would do (RFC 6750); absent for another customer.
        #[oai(header = "WWW-Authenticate")]
        Option<String>,
    ),
    /// No such resource (or none the caller may see).
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// The request conflicts with the resource's current state; nothing was changed.
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// The request body exceeds the size limit.
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// The request is well-formed but cannot be honoured (e.g. an Idempotency-Key reused
    /// with a different body); nothing was changed.
    #[oai(status = 422, content_type = "application/problem+json")]
    Unprocessable(Json<Problem>),
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

    /// A 400 listing every field that breaks a rule; the detail repeats them in one line.
    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let detail = errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
        let mut problem = Problem::new(StatusCode::BAD_REQUEST, "validation", detail);
        problem.errors = errors;
        Self::BadRequest(Json(problem))
    }

    /// A 401 for a refused token, or a 503 if the keys to check it are unavailable. The
    /// reason is logged (never the token) and returned in the detail.
    pub fn unauthenticated(error: &AuthError) -> Self {
        if let AuthError::KeysUnavailable(_) = error {
            return Self::unavailable(error);
        }
        tracing::info!(reason = %error, "access token refused");
        Self::Unauthorized(
            Json(Box::new(Problem::new(
                StatusCode::UNAUTHORIZED,
                "invalid-token",
                error.to_string(),
            ))),
            r#"Bearer error="invalid_token""#.to_owned(),
        )
    }

    /// A 403: the token lacks a scope (`insufficient_scope`, naming the scopes that would
    /// do), or the request names another customer.
    pub fn forbidden(denied: &AccessDenied) -> Self {
        tracing::info!(reason = %denied, "request refused");
        let (kind, challenge) = match denied {
            AccessDenied::InsufficientScope(scopes) => {
                let names: Vec<_> = scopes.iter().map(|s| s.as_str()).collect();
                (
                    "insufficient-scope",
                    Some(format!(
                        r#"Bearer error="insufficient_scope", scope="{}""#,
                        names.join(" ")
                    )),
                )
            }
            AccessDenied::OtherCustomer => ("other-customer", None),
        };
        Self::Forbidden(
            Json(Box::new(Problem::new(StatusCode::FORBIDDEN, kind, denied.to_string()))),
            challenge,
        )
    }

    pub fn not_found(kind: &str, detail: impl Into<String>) -> Self {
        Self::NotFound(Json(Problem::new(StatusCode::NOT_FOUND, kind, detail)))
    }

    pub fn conflict(kind: &str, detail: impl Into<String>) -> Self {
        Self::Conflict(Json(Problem::new(StatusCode::CONFLICT, kind, detail)))
    }

    pub fn unprocessable(kind: &str, detail: impl Into<String>) -> Self {
        Self::Unprocessable(Json(Problem::new(StatusCode::UNPROCESSABLE_ENTITY, kind, detail)))
    }

    /// A 422 of `kind` naming each field it is about; the detail repeats them in one line.
    pub fn unprocessable_fields(kind: &str, errors: Vec<FieldError>) -> Self {
        let detail = errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
        let mut problem = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, kind, detail);
        problem.errors = errors;
        Self::Unprocessable(Json(problem))
    }

    /// A 500 whose body says nothing about the cause; the cause is logged here, once.
    pub fn internal(error: &(dyn std::error::Error + 'static)) -> Self {
        tracing::error!(error.message = %checkout_runtime::error::Chain(error), error.cause_chain = ?error, "request failed");
        Self::Internal(Json(Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "an unexpected error occurred; it has been logged",
        )))
    }

    /// A 503 for a dependency that is down; the cause is logged, not returned.
    pub fn unavailable(error: &(dyn std::error::Error + 'static)) -> Self {
        tracing::warn!(error.message = %checkout_runtime::error::Chain(error), error.cause_chain = ?error, "dependency unavailable");
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
    if let Some(param) = err.downcast_ref::<poem_openapi::error::ParseParamError>() {
        return ApiError::invalid(vec![FieldError::new(param.name, "is not valid")]).into_response();
    }
    let status = err.status();
    let problem = if status.is_server_error() {
        tracing::error!(error.message = %err, status = status.as_u16(), "unhandled error");
        Problem::new(status, "internal", "an unexpected error occurred; it has been logged")
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
    body.with_status(status).with_content_type(PROBLEM_JSON).into_response()
}
