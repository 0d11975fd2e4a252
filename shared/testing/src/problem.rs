//! Assertions on RFC 9457 problem responses.

use serde_json::Value;

/// Asserts an RFC 9457 problem response with this status, and returns its body.
///
/// # Panics
/// The status, the media type, or a member of the problem (`status`, `type`, `title`,
/// `detail`) is not as RFC 9457 and the services have it.
pub async fn assert_problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        content_type.starts_with(checkout_http::PROBLEM_JSON),
        "content-type {content_type}"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status, "{body}");
    assert!(
        body["type"].as_str().is_some_and(|t| t.starts_with("/problems/")),
        "{body}"
    );
    assert!(body["title"].as_str().is_some_and(|t| !t.is_empty()), "{body}");
    assert!(body["detail"].as_str().is_some_and(|t| !t.is_empty()), "{body}");
    body
}

/// Asserts a 401 problem with the RFC 6750 challenge, and returns its body.
pub async fn assert_unauthorized(response: reqwest::Response) -> Value {
    let challenge = response.headers().get("www-authenticate").cloned();
    assert_eq!(
        challenge.as_ref().and_then(|v| v.to_str().ok()),
        Some(r#"Bearer error="invalid_token""#),
        "the challenge of a {} answer",
        response.status()
    );
    let body = assert_problem(response, 401).await;
    assert_eq!(body["type"], "/problems/invalid-token", "{body}");
    body
}

/// Asserts a 403 `insufficient_scope` problem whose challenge names `scopes`.
pub async fn assert_insufficient_scope(response: reqwest::Response, scopes: &str) {
    let challenge = response
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    assert_eq!(
        challenge.as_deref(),
        Some(format!(r#"Bearer error="insufficient_scope", scope="{scopes}""#).as_str()),
        "the challenge of a {} answer",
        response.status()
    );
    let body = assert_problem(response, 403).await;
    assert_eq!(body["type"], "/problems/insufficient-scope", "{body}");
}

/// The `errors` of a problem, as (field, message) pairs; empty when it has none.
pub fn field_errors(problem: &Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    let text = |key: &str| e[key].as_str().unwrap_or_else(|| panic!("{key} in {e}")).to_owned();
                    (text("field"), text("message"))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Asserts that the problem lists `field` with `message`, in `errors` and in its `detail`.
pub fn assert_field_error(problem: &Value, field: &str, message: &str) {
    let wanted = (field.to_owned(), message.to_owned());
    assert!(
        field_errors(problem).contains(&wanted),
        "{field}: {message} in {problem}"
    );
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains(&format!("{field}: {message}")),
        "{field}: {message} in {detail}"
    );
}

/// Asserts a 400 validation problem that lists exactly these fields and rules, in this
/// order, and whose `detail` joins them; returns its body.
pub async fn assert_invalid(response: reqwest::Response, expected: &[(&str, &str)]) -> Value {
    let problem = assert_problem(response, 400).await;
    assert_eq!(problem["type"], "/problems/validation", "{problem}");
    let expected_pairs: Vec<(String, String)> = expected
        .iter()
        .map(|(field, message)| ((*field).to_owned(), (*message).to_owned()))
        .collect();
    assert_eq!(field_errors(&problem), expected_pairs, "{problem}");
    let detail: Vec<String> = expected.iter().map(|(f, m)| format!("{f}: {m}")).collect();
    assert_eq!(problem["detail"], detail.join("; "), "{problem}");
    problem
}

/// Sends each request and asserts [`assert_invalid`] with the fields and rules given with it.
pub async fn assert_each_invalid<'a>(
    cases: impl IntoIterator<Item = (reqwest::RequestBuilder, Vec<(&'a str, &'a str)>)>,
) {
    for (request, expected) in cases {
        let response = request.send().await.expect("send the request");
        assert_invalid(response, &expected).await;
    }
}

/// Words of serde, poem-openapi and the services' own types, which mean nothing to a client.
pub const INTERNAL_NAMES: &[&str] = &[
    "Dto",
    "integer_int",
    "param0",
    "string(",
    "failed to parse",
    "i64",
    "u64",
    "Uuid",
    "invalid type",
    "unknown variant",
];

/// Sends each request and asserts a 400 problem whose `detail` uses none of [`INTERNAL_NAMES`].
pub async fn assert_each_400_names_nothing_internal(requests: impl IntoIterator<Item = reqwest::RequestBuilder>) {
    for request in requests {
        let response = request.send().await.expect("send the request");
        let problem = assert_problem(response, 400).await;
        let detail = problem["detail"].as_str().unwrap_or_default();
        for name in INTERNAL_NAMES {
            assert!(!detail.contains(name), "{name:?} in {problem}");
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn problem() -> Value {
        json!({
            "type": "/problems/validation",
            "status": 400,
            "detail": "customer_id: is required; items[0].quantity: must be an integer from 1 to 1000",
            "errors": [
                {"field": "customer_id", "message": "is required"},
                {"field": "items[0].quantity", "message": "must be an integer from 1 to 1000"},
            ],
        })
    }

    #[test]
    fn field_errors_are_read_in_order_and_none_without_a_list() {
        let errors = field_errors(&problem());
        assert_eq!(
            errors[1],
            ("items[0].quantity".into(), "must be an integer from 1 to 1000".into())
        );
        assert_eq!(errors.len(), 2);
        assert!(field_errors(&json!({"detail": "x"})).is_empty());
    }

    #[test]
    fn a_listed_field_error_passes() {
        assert_field_error(&problem(), "items[0].quantity", "must be an integer from 1 to 1000");
    }

    #[test]
    #[should_panic(expected = "is required")]
    fn a_field_with_another_message_fails() {
        assert_field_error(&problem(), "items[0].quantity", "is required");
    }
}
