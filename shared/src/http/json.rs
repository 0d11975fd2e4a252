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

use std::{
    any::TypeId,
    collections::HashMap,
    sync::{Arc, OnceLock, RwLock},
};

use poem::{Request, RequestBody, Result};
use poem_openapi::{
    payload::{ParsePayload, Payload},
    registry::{MetaSchemaRef, Registry},
    types::Type,
};
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_path_to_error::Segment;

use super::{ApiError, FieldError};

/// A request body type: its serde form plus the rule of each field, which is what a client
/// is told when a value has the wrong JSON type (`"quantity": "two"`).
pub trait JsonBody: DeserializeOwned + Type + Send + 'static {
    /// The rule of the field named `field` (its last path segment), if it has one.
    fn rule(field: &str) -> Option<String>;
}

/// A JSON request body of type `T`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrictJson<T>(pub T);

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
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::bad_request(
            "invalid-json",
            format!("the body is not valid JSON: {}", without_position(&e)),
        )
    })?;
    let mut path = String::new();
    check_shape(&value, &shape_of::<T>(), &mut path, T::rule).map_err(|e| ApiError::invalid(vec![e]))?;
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
        FieldError::new(join(&path, Some(name)), "is not a known field")
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

/// Where a body must hold a JSON object, or a string, and what is inside.
#[derive(Debug)]
enum Shape {
    Object(Vec<(&'static str, Shape)>),
    Array(Box<Shape>),
    /// A string (or an enum of strings): serde would take an enum's variant from a map
    /// (`{"sent": null}`) and report a number in its place as a syntax error.
    Text,
    Other,
}

/// The shape of `T`'s schema, worked out once per type.
fn shape_of<T: Type + 'static>() -> Arc<Shape> {
    static SHAPES: OnceLock<RwLock<HashMap<TypeId, Arc<Shape>>>> = OnceLock::new();
    let shapes = SHAPES.get_or_init(Default::default);
    let id = TypeId::of::<T>();
    if let Some(shape) = shapes.read().unwrap_or_else(|e| e.into_inner()).get(&id) {
        return shape.clone();
    }
    let mut registry = Registry::new();
    T::register(&mut registry);
    let shape = Arc::new(shape_from(&T::schema_ref(), &registry, 0));
    shapes
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id, shape.clone());
    shape
}

fn shape_from(schema: &MetaSchemaRef, registry: &Registry, depth: usize) -> Shape {
    let schema = match schema {
        MetaSchemaRef::Inline(schema) => schema.as_ref(),
        MetaSchemaRef::Reference(name) => match registry.schemas.get(name) {
            Some(schema) => schema,
            None => return Shape::Other,
        },
    };
    if depth > 16 {
        return Shape::Other;
    }
    // An optional or nullable field wraps its type: `allOf: [{$ref}]`.
    if schema.ty.is_empty()
        && let Some(inner) = schema.all_of.iter().chain(&schema.any_of).chain(&schema.one_of).next()
    {
        return shape_from(inner, registry, depth + 1);
    }
    match schema.ty {
        "object" => Shape::Object(
            schema
                .properties
                .iter()
                .map(|(name, property)| (*name, shape_from(property, registry, depth + 1)))
                .collect(),
        ),
        "string" => Shape::Text,
        "array" => Shape::Array(Box::new(
            schema
                .items
                .as_ref()
                .map_or(Shape::Other, |items| shape_from(items, registry, depth + 1)),
        )),
        _ => Shape::Other,
    }
}

/// Refuses an array where the schema wants an object, and anything but a string (or null)
/// where it wants a string; everything else is serde's to judge.
fn check_shape(
    value: &Value,
    shape: &Shape,
    path: &mut String,
    rule: fn(&str) -> Option<String>,
) -> Result<(), FieldError> {
    let here = |path: &String| {
        if path.is_empty() {
            "(body)".to_owned()
        } else {
            path.clone()
        }
    };
    match (shape, value) {
        (Shape::Object(_), Value::Array(_)) => Err(FieldError::new(here(path), "must be a JSON object")),
        (Shape::Text, Value::String(_) | Value::Null) => Ok(()),
        (Shape::Text, _) => {
            let leaf = path.rsplit('.').next().unwrap_or_default();
            Err(FieldError::new(
                here(path),
                rule(leaf).unwrap_or_else(|| "must be a string".to_owned()),
            ))
        }
        (Shape::Object(properties), Value::Object(map)) => {
            for (name, property) in properties {
                if let Some(inner) = map.get(*name) {
                    let len = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(name);
                    check_shape(inner, property, path, rule)?;
                    path.truncate(len);
                }
            }
            Ok(())
        }
        (Shape::Array(item), Value::Array(elements)) => {
            for (i, element) in elements.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                check_shape(element, item, path, rule)?;
                path.truncate(len);
            }
            Ok(())
        }
        _ => Ok(()),
    }
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
    fn a_valid_body_parses() {
        let body = parse::<Body>(br#"{"name":"a","lines":[{"sku":"x","quantity":3}]}"#).unwrap();
        assert_eq!(body.lines[0].quantity, 3);
    }
}
