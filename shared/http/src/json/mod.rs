//! JSON request bodies read straight into their serde types, with errors that speak the
//! client's language: the field as the client wrote it and the rule it broke.
//!
//! poem-openapi's own `Json<T>` goes through `serde_json::Value`, takes a duplicate key's
//! last value, and reports failures with internal type names (`OrderItemDto`,
//! `integer_int32`). `StrictJson<T>` deserializes the bytes with serde, which refuses
//! duplicate keys and, with `#[serde(deny_unknown_fields)]`, unknown ones; the schema in the
//! OpenAPI document still comes from `T`'s poem-openapi `Type`. serde's derived structs also
//! take a JSON array in place of an object (`["SKU-1", 2, 499]`), so before that the body is
//! checked against the shape of `T`'s schema: an object is wanted wherever it says `object`.

mod shape;

use poem::{Request, RequestBody, Result};
use poem_openapi::{
    payload::{ParsePayload, Payload},
    registry::{MetaSchemaRef, Registry},
    types::Type,
};
use serde::{Serialize, de::DeserializeOwned};
use serde_path_to_error::Segment;

use super::{ApiError, FieldError};

/// A request body type: its serde form plus the rule of each field, which is what a client
/// is told when a value has the wrong JSON type (`"quantity": "two"`).
pub trait JsonBody: DeserializeOwned + Type + Send + 'static {
    /// The rule of the field named `field` (its last path segment), if it has one.
    fn rule(field: &str) -> Option<String>;

    /// Why `field` (its last path segment), which the body may not have, is refused, when
    /// there is more to say than that it is not a known field.
    fn refused(field: &str) -> Option<&'static str> {
        let _ = field;
        None
    }
}

/// A JSON body of type `T`, read and written by serde itself (never through a
/// `serde_json::Value`): as a request body strictly, as described above; as a response body
/// in the order of `T`'s fields, which is the order of its schema. `T`'s serde names must be
/// its poem-openapi names (`checkout_testing::assert_same_json` checks an example).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrictJson<T>(pub T);

impl<T: Serialize + Type + Send> poem::IntoResponse for StrictJson<T> {
    fn into_response(self) -> poem::Response {
        match serde_json::to_vec(&self.0) {
            Ok(body) => poem::Response::builder()
                .content_type(<Self as Payload>::CONTENT_TYPE)
                .body(body),
            Err(e) => {
                tracing::error!(error.message = %e, "a response body did not serialize");
                poem::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    }
}

/// `DateTime<Utc>` fields as poem-openapi writes them (`to_rfc3339`, `+00:00`), for
/// `#[serde(serialize_with = "...")]` on response fields.
pub mod rfc3339 {
    use chrono::{DateTime, Utc};
    use serde::Serializer;

    /// # Errors
    /// The serializer's.
    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&at.to_rfc3339())
    }

    /// The same, for an optional field.
    pub mod option {
        use chrono::{DateTime, Utc};
        use serde::Serializer;

        /// # Errors
        /// The serializer's.
        pub fn serialize<S: Serializer>(at: &Option<DateTime<Utc>>, serializer: S) -> Result<S::Ok, S::Error> {
            match at {
                Some(at) => serializer.serialize_str(&at.to_rfc3339()),
                None => serializer.serialize_none(),
            }
        }
    }
}

impl<T: Type> Payload for StrictJson<T> {
    const CONTENT_TYPE: &'static str = "application/json; charset=utf-8";

    fn check_content_type(content_type: &str) -> bool {
        <poem_openapi::payload::Json<T> as Payload>::check_content_type(content_type)
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: JsonBody> ParsePayload for StrictJson<T> {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> Result<Self> {
        let bytes = <Vec<u8> as poem::FromRequest>::from_request(request, body).await?;
        parse::<T>(&bytes)
            .map(Self)
            .map_err(|e| poem::Error::from_response(poem::IntoResponse::into_response(e)))
    }
}

poem_openapi::impl_apirequest_for_payload!(StrictJson<T>, T: JsonBody);

/// Deserializes `bytes` as a `T`, describing a failure as the client would.
///
/// # Errors
/// A 400 problem: for a value of the wrong type, a missing, unknown or repeated field, the
/// field and its rule; for text that is not JSON, what is wrong with it.
pub fn parse<T: JsonBody>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "invalid-json",
            "the body is empty; a JSON object is expected",
        ));
    }
    shape::check::<T>(bytes, T::rule).map_err(|e| match e {
        shape::Refused::Shape(e) => ApiError::invalid(vec![e]),
        shape::Refused::Syntax(e) => ApiError::bad_request(
            "invalid-json",
            format!("the body is not valid JSON: {}", without_position(&e)),
        ),
    })?;
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(describe::<T>)?;
    deserializer.end().map_err(|e| {
        ApiError::bad_request(
            "invalid-json",
            format!("the body is not valid JSON: {}", without_position(&e)),
        )
    })?;
    Ok(value)
}

fn describe<T: JsonBody>(err: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let inner = err.inner();
    if !inner.is_data() {
        let detail = format!("the body is not valid JSON: {}", without_position(inner));
        return ApiError::bad_request("invalid-json", detail);
    }
    let path: Vec<&Segment> = err.path().iter().collect();
    let message = without_position(inner);
    let error = if let Some(name) = quoted_after(&message, "missing field ") {
        FieldError::new(join(&path, Some(name)), "is required")
    } else if let Some(name) = quoted_after(&message, "unknown field ") {
        FieldError::new(
            join(&path, Some(name)),
            T::refused(name).unwrap_or("is not a known field"),
        )
    } else if let Some(name) = quoted_after(&message, "duplicate field ") {
        FieldError::new(join(&path, Some(name)), "appears more than once")
    } else {
        let rule = match path.last() {
            None => Some("must be a JSON object".to_owned()),
            Some(Segment::Seq { .. }) => Some("must be a JSON object".to_owned()),
            Some(Segment::Map { key }) => T::rule(key),
            Some(_) => None,
        };
        FieldError::new(
            join(&path, None),
            rule.unwrap_or_else(|| "has the wrong type".to_owned()),
        )
    };
    ApiError::invalid(vec![error])
}

/// `items[0].quantity` from the path segments, with `leaf` appended when given (and not
/// already the last segment).
fn join(path: &[&Segment], leaf: Option<&str>) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Unknown => {}
        }
    }
    let last_is_leaf = matches!(path.last(), Some(Segment::Map { key }) if Some(key.as_str()) == leaf);
    if let (Some(leaf), false) = (leaf, last_is_leaf) {
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(leaf);
    }
    if out.is_empty() { "(body)".to_owned() } else { out }
}

/// The name in backticks after `prefix` at the start of a serde message.
fn quoted_after<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    message.strip_prefix(prefix)?.strip_prefix('`')?.split('`').next()
}

/// serde_json's message without its ` at line 1 column 7` suffix.
fn without_position(err: &serde_json::Error) -> String {
    let message = err.to_string();
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::Object;
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, Object)]
    #[serde(deny_unknown_fields)]
    struct Line {
        sku: String,
        quantity: i64,
    }

    #[derive(Debug, Deserialize, Object)]
    #[serde(deny_unknown_fields)]
    struct Body {
        name: String,
        lines: Vec<Line>,
    }

    impl JsonBody for Body {
        fn rule(field: &str) -> Option<String> {
            (field == "quantity").then(|| "must be an integer from 1 to 9".to_owned())
        }
    }

    fn errors(json: &str) -> Vec<String> {
        match parse::<Body>(json.as_bytes()).unwrap_err() {
            ApiError::BadRequest(problem) => {
                if problem.errors.is_empty() {
                    vec![problem.0.detail]
                } else {
                    problem.0.errors.iter().map(ToString::to_string).collect()
                }
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_value_of_the_wrong_type_names_the_field_and_its_rule() {
        assert_eq!(
            errors(r#"{"name":"a","lines":[{"sku":"x","quantity":1},{"sku":"y","quantity":"two"}]}"#),
            ["lines[1].quantity: must be an integer from 1 to 9"]
        );
        assert_eq!(
            errors(r#"{"name":"a","lines":[{"sku":"x","quantity":1.5}]}"#),
            ["lines[0].quantity: must be an integer from 1 to 9"]
        );
        assert_eq!(errors(r#"{"name":7,"lines":[]}"#), ["name: must be a string"]);
        assert_eq!(errors(r#"{"name":{"a":null},"lines":[]}"#), ["name: must be a string"]);
        assert_eq!(
            errors(r#"{"name":"a","lines":["x"]}"#),
            ["lines[0]: must be a JSON object"]
        );
        assert_eq!(errors("[1]"), ["(body): must be a JSON object"]);
        assert_eq!(errors(r#"["a", []]"#), ["(body): must be a JSON object"]);
        assert_eq!(
            errors(r#"{"name":"a","lines":[["x", 1]]}"#),
            ["lines[0]: must be a JSON object"]
        );
    }

    #[test]
    fn missing_unknown_and_repeated_fields_are_named() {
        assert_eq!(
            errors(r#"{"name":"a","lines":[{"sku":"x"}]}"#),
            ["lines[0].quantity: is required"]
        );
        assert_eq!(
            errors(r#"{"name":"a","lines":[],"admin":true}"#),
            ["admin: is not a known field"]
        );
        assert_eq!(
            errors(r#"{"name":"a","name":"b","lines":[]}"#),
            ["name: appears more than once"]
        );
        assert_eq!(
            errors(r#"{"name":"a","lines":[{"sku":"x","sku":"y","quantity":1}]}"#),
            ["lines[0].sku: appears more than once"]
        );
    }

    #[test]
    fn text_that_is_not_json_is_described_without_type_names() {
        assert_eq!(errors(""), ["the body is empty; a JSON object is expected"]);
        assert_eq!(errors(" \n"), ["the body is empty; a JSON object is expected"]);
        let detail = &errors(r#"{"name":"#)[0];
        assert!(detail.starts_with("the body is not valid JSON"), "{detail}");
        let trailing = &errors(r#"{"name":"a","lines":[]} x"#)[0];
        assert!(trailing.starts_with("the body is not valid JSON"), "{trailing}");
    }

    #[test]
    fn the_shape_check_leaves_what_it_does_not_know_to_serde() {
        // An unknown field is skipped whatever it holds; serde then names it.
        assert_eq!(
            errors(r#"{"name":"a","lines":[],"extra":[[{"x":[1,{"y":"z"}]}]]}"#),
            ["extra: is not a known field"]
        );
        // A number where a string belongs is refused even when the key comes again.
        assert_eq!(
            errors(r#"{"name":7,"name":"b","lines":[]}"#),
            ["name: must be a string"]
        );
        assert_eq!(
            errors(r#"{"name":"a","lines":{"sku":"x"}}"#),
            ["lines: has the wrong type"]
        );
        let escaped = parse::<Body>(br#"{"n\u0061me":"a","lines":[{"sku":"\"x\"","quantity":1}]}"#).unwrap();
        assert_eq!(escaped.lines[0].sku, "\"x\"");
    }

    #[test]
    fn a_valid_body_parses() {
        let body = parse::<Body>(br#"{"name":"a","lines":[{"sku":"x","quantity":3}]}"#).unwrap();
        assert_eq!(body.lines[0].quantity, 3);
    }
}
