//! Request fields and parameters whose published schema states the domain's rule: the type
//! of a field or parameter says what the document publishes of it (`maxLength`, `pattern`,
//! `minimum`, an example), built from the domain's constants, so that nothing restates them
//! in a table. The value is read as the client wrote it; the domain checks it, with its own
//! messages.

use std::{borrow::Cow, fmt, marker::PhantomData};

use checkout_domain::{MAX_TEXT_CHARS, PageLimit, TEXT_PATTERN};
use poem_openapi::{
    registry::{MetaSchema, MetaSchemaRef, Registry},
    types::{ParseFromJSON, ParseFromParameter, ParseResult, ToJSON, Type},
};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What a [`Documented`] field or parameter holds and how the document describes it.
pub trait Rule: Send + Sync + 'static {
    /// The value as the client writes it (`String`, `i64`, `Vec<_>`).
    type Value: Type + ParseFromJSON + ToJSON + Send + Sync;
    /// The schema the document publishes.
    fn schema() -> MetaSchema;
}

/// A field or parameter read as `R::Value` and documented as `R::schema()`.
pub struct Documented<R: Rule>(pub R::Value, PhantomData<R>);

impl<R: Rule> Documented<R> {
    pub fn new(value: R::Value) -> Self {
        Self(value, PhantomData)
    }

    pub fn into_inner(self) -> R::Value {
        self.0
    }
}

impl<R: Rule> fmt::Debug for Documented<R>
where
    R::Value: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<R: Rule> Clone for Documented<R>
where
    R::Value: Clone,
{
    fn clone(&self) -> Self {
        Self::new(self.0.clone())
    }
}

impl<R: Rule> Type for Documented<R> {
    const IS_REQUIRED: bool = true;
    type RawValueType = R::Value;
    type RawElementValueType = R::Value;

    fn name() -> Cow<'static, str> {
        R::Value::name()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(R::schema()))
    }

    fn register(registry: &mut Registry) {
        R::Value::register(registry);
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(&self.0)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(std::iter::once(&self.0))
    }
}

impl<R: Rule> ParseFromJSON for Documented<R> {
    fn parse_from_json(value: Option<serde_json::Value>) -> ParseResult<Self> {
        R::Value::parse_from_json(value)
            .map(Self::new)
            .map_err(|e| e.propagate())
    }
}

impl<R: Rule> ToJSON for Documented<R> {
    fn to_json(&self) -> Option<serde_json::Value> {
        self.0.to_json()
    }
}

impl<R: Rule> ParseFromParameter for Documented<R>
where
    R::Value: ParseFromParameter,
{
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        R::Value::parse_from_parameter(value)
            .map(Self::new)
            .map_err(|e| e.propagate())
    }
}

impl<R: Rule> Serialize for Documented<R>
where
    R::Value: Serialize,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de, R: Rule> Deserialize<'de> for Documented<R>
where
    R::Value: Deserialize<'de>,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        R::Value::deserialize(deserializer).map(Self::new)
    }
}

/// The schema of a free-text identifier (customer ids, SKUs): the domain's one rule.
pub fn text_schema(example: &str) -> MetaSchema {
    MetaSchema {
        min_length: Some(1),
        max_length: Some(MAX_TEXT_CHARS),
        pattern: Some(TEXT_PATTERN.to_owned()),
        example: Some(example.into()),
        ..MetaSchema::new("string")
    }
}

/// The schema of an integer from `min` to `max`.
pub fn integer_schema(min: i64, max: i64) -> MetaSchema {
    MetaSchema {
        minimum: Some(min as f64),
        maximum: Some(max as f64),
        ..MetaSchema::new_with_format("integer", "int64")
    }
}

/// The schema of a UUID given as text, with an example.
pub fn uuid_schema(example: &str) -> MetaSchema {
    MetaSchema {
        format: Some("uuid"),
        example: Some(example.into()),
        ..MetaSchema::new("string")
    }
}

/// A customer's id, as a query parameter.
pub enum CustomerIdParam {}

impl Rule for CustomerIdParam {
    type Value = String;

    fn schema() -> MetaSchema {
        text_schema("alice")
    }
}

/// A listing's page size: `limit`.
pub enum PageLimitParam {}

impl Rule for PageLimitParam {
    type Value = String;

    fn schema() -> MetaSchema {
        MetaSchema {
            minimum: Some(PageLimit::MIN as f64),
            maximum: Some(PageLimit::MAX as f64),
            default: Some(PageLimit::DEFAULT.get().into()),
            example: Some(20.into()),
            ..MetaSchema::new("integer")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_documented_value_reads_and_writes_as_its_value_with_the_rules_schema() {
        let limit: Documented<PageLimitParam> = serde_json::from_str("\"7\"").unwrap();
        assert_eq!(limit.0, "7");
        assert_eq!(serde_json::to_string(&limit).unwrap(), "\"7\"");
        let MetaSchemaRef::Inline(schema) = Documented::<PageLimitParam>::schema_ref() else {
            panic!("an inline schema");
        };
        assert_eq!(schema.maximum, Some(PageLimit::MAX as f64));
        let MetaSchemaRef::Inline(text) = Documented::<CustomerIdParam>::schema_ref() else {
            panic!("an inline schema");
        };
        assert_eq!(
            (text.max_length, text.pattern.as_deref()),
            (Some(MAX_TEXT_CHARS), Some(TEXT_PATTERN))
        );
    }
}
