//! The kinds of problem the services answer with: what each means, an example as a service
//! writes it, and the short page its `type` URI (`/problems/<kind>`) resolves to.

use poem::{
    Request, Response,
    http::StatusCode,
    web::{Html, IntoResponse},
};

use super::{FieldError, Problem, problem_response};

/// One kind of problem: its `type` is `/problems/<kind>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProblemType {
    pub kind: &'static str,
    pub status: u16,
    /// What it means and what a client can do about it, in a sentence or two.
    pub about: &'static str,
    /// A `detail` as the service writes it.
    pub detail: &'static str,
    /// For a `validation` problem: the fields of the example and the rules they broke.
    pub errors: &'static [(&'static str, &'static str)],
}

impl ProblemType {
    pub const fn new(kind: &'static str, status: u16, about: &'static str, detail: &'static str) -> Self {
        Self {
            kind,
            status,
            about,
            detail,
            errors: &[],
        }
    }

    /// The example problem document, exactly as a service would answer it.
    pub fn example(&self) -> Problem {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut problem = Problem::new(status, self.kind, self.detail);
        problem.errors = self.errors.iter().map(|(f, m)| FieldError::new(*f, *m)).collect();
        problem
    }

    pub fn uri(&self) -> String {
        format!("/problems/{}", self.kind)
    }
}

pub const VALIDATION: ProblemType = ProblemType {
    kind: "validation",
    status: 400,
    about: "A field, parameter or header breaks a rule. `errors` names each one as the client \
            wrote it (`items[0].quantity`) with the rule it broke, and `detail` repeats them in \
            one line. Nothing was changed: fix the request and send it again.",
    detail: "customer_id: must be 1 to 64 characters, not blank, without control characters; \
             items[0].quantity: must be an integer from 1 to 1000",
    errors: &[
        (
            "customer_id",
            "must be 1 to 64 characters, not blank, without control characters",
        ),
        ("items[0].quantity", "must be an integer from 1 to 1000"),
    ],
};

pub const INVALID_JSON: ProblemType = ProblemType::new(
    "invalid-json",
    400,
    "The body is empty or is not JSON. Nothing was changed.",
    "the body is not valid JSON: EOF while parsing an object",
);

pub const INVALID_REQUEST: ProblemType = ProblemType::new(
    "invalid-request",
    400,
    "The request could not be read as HTTP asks (a header or the query is malformed).",
    "failed to parse query string",
);

pub const INVALID_TOKEN: ProblemType = ProblemType::new(
    "invalid-token",
    401,
    "No valid access token: none was sent, or it is expired, not yet valid, issued by another \
     issuer or for another audience, or its signature does not verify. Get a new token and \
     send it as `Authorization: Bearer <token>`.",
    "the token has expired",
);

pub const INSUFFICIENT_SCOPE: ProblemType = ProblemType::new(
    "insufficient-scope",
    403,
    "The token is valid but grants none of the scopes the operation needs; \
     `WWW-Authenticate` names the scopes that would do.",
    "the token grants none of the scopes this needs (orders:write)",
);

pub const OTHER_CUSTOMER: ProblemType = ProblemType::new(
    "other-customer",
    403,
    "A customer's token names another customer in the body or the query. A customer acts for \
     itself only; a service acting for customers needs a token of its own.",
    "customer_id must be the token's subject: a customer acts only for itself",
);

pub const NOT_FOUND: ProblemType = ProblemType::new(
    "not-found",
    404,
    "No operation has this path. The API reference is at `/docs`.",
    "not found",
);

pub const METHOD_NOT_ALLOWED: ProblemType = ProblemType::new(
    "method-not-allowed",
    405,
    "The path exists but not with this method; `Allow` lists the methods it takes.",
    "method not allowed",
);

pub const REQUEST_TIMEOUT: ProblemType = ProblemType::new(
    "request-timeout",
    408,
    "The request's body did not arrive in time (`HTTP_REQUEST_TIMEOUT_SECS`, 30 s by default). \
     Nothing was changed.",
    "the request body did not arrive within 30 s",
);

pub const PAYLOAD_TOO_LARGE: ProblemType = ProblemType::new(
    "payload-too-large",
    413,
    "The body is larger than the service takes (`HTTP_MAX_BODY_BYTES`, 64 KiB by default). \
     Nothing was changed.",
    "the body is larger than 65536 bytes",
);

pub const UNSUPPORTED_MEDIA_TYPE: ProblemType = ProblemType::new(
    "unsupported-media-type",
    415,
    "The body is not sent as `application/json`. Nothing was changed.",
    "the `Content-Type` requested by the client is not supported: text/plain",
);

pub const RATE_LIMITED: ProblemType = ProblemType::new(
    "rate-limited",
    429,
    "The caller (the subject of its token, else its address) sent more requests of this kind \
     than its limit allows. Nothing was done: retry after `Retry-After` seconds.",
    "too many write requests from this caller; retry in 1 s",
);

pub const INTERNAL: ProblemType = ProblemType::new(
    "internal",
    500,
    "An unexpected failure on the service's side, logged there with the request's \
     `x-request-id`. The body says nothing more; report the request id.",
    "an unexpected error occurred; it has been logged",
);

pub const UNAVAILABLE: ProblemType = ProblemType::new(
    "unavailable",
    503,
    "A backing service (the database, or the identity provider's keys) cannot be reached. \
     Nothing was changed; retry later.",
    "a backing service is unavailable; retry later",
);

pub const TIMEOUT: ProblemType = ProblemType::new(
    "timeout",
    503,
    "The service did not finish the request in time (`HTTP_REQUEST_TIMEOUT_SECS`); whatever \
     it had begun was rolled back. Retry later.",
    "the request was not done within 30 s; retry later",
);

/// The kinds both services answer with, whatever the operation.
pub const COMMON_PROBLEMS: &[ProblemType] = &[
    VALIDATION,
    INVALID_JSON,
    INVALID_REQUEST,
    INVALID_TOKEN,
    INSUFFICIENT_SCOPE,
    OTHER_CUSTOMER,
    NOT_FOUND,
    METHOD_NOT_ALLOWED,
    REQUEST_TIMEOUT,
    PAYLOAD_TOO_LARGE,
    UNSUPPORTED_MEDIA_TYPE,
    RATE_LIMITED,
    INTERNAL,
    UNAVAILABLE,
    TIMEOUT,
];

/// Serves `GET /problems` (every kind, one section each) and `GET /problems/<kind>`.
pub(super) fn page(req: &Request, kinds: &[ProblemType]) -> Response {
    let wanted = req.uri().path().trim_start_matches("/problems").trim_matches('/');
    let shown: Vec<&ProblemType> = if wanted.is_empty() {
        kinds.iter().collect()
    } else {
        kinds.iter().filter(|k| k.kind == wanted).collect()
    };
    if shown.is_empty() {
        let problem = Problem::new(StatusCode::NOT_FOUND, "not-found", "no such problem type");
        return problem_response(&problem);
    }
    let mut html = String::from(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\">\
         <title>Problem types</title></head><body>",
    );
    for kind in shown {
        let example = poem_openapi::types::ToJSON::to_json(&kind.example()).unwrap_or_default();
        let example = serde_json::to_string_pretty(&example).unwrap_or_default();
        let reason = StatusCode::from_u16(kind.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        html.push_str(&format!(
            "<section id=\"{k}\"><h2><code>/problems/{k}</code></h2><p>HTTP {s} {reason}.</p><p>{about}</p>\
             <pre>{example}</pre></section>",
            k = kind.kind,
            s = kind.status,
            about = escape(kind.about),
            example = escape(&example),
        ));
    }
    html.push_str(
        "<p><a href=\"/problems\">All problem types</a> · <a href=\"/docs\">API reference</a></p></body></html>",
    );
    Html(html).into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_common_kind_is_named_once() {
        let mut kinds: Vec<_> = COMMON_PROBLEMS.iter().map(|k| k.kind).collect();
        kinds.sort_unstable();
        kinds.dedup();
        assert_eq!(kinds.len(), COMMON_PROBLEMS.len());
    }

    #[test]
    fn an_example_is_the_problem_a_service_would_answer() {
        let validation = COMMON_PROBLEMS.iter().find(|k| k.kind == "validation").unwrap();
        let example = validation.example();
        assert_eq!(
            (example.kind.as_str(), example.title.as_str(), example.status),
            ("/problems/validation", "Bad Request", 400)
        );
        assert_eq!(example.errors.len(), 2);
    }
}
