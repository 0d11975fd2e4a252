use std::borrow::Cow;

use poem_openapi::{
    registry::{MetaSchema, MetaSchemaRef},
    types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type},
};
use serde_json::Value;

/// A JSON string field that accepts only JSON strings. poem-openapi's `String` also takes
/// numbers and booleans (`42` becomes `"42"`), which would let a wrongly typed request
/// through; this type refuses them with a 400. Validators apply to the inner string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct StrictString(pub String);

impl Type for StrictString {
    const IS_REQUIRED: bool = true;
    type RawValueType = String;
    type RawElementValueType = String;

    fn name() -> Cow<'static, str> {
        "string".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema::new("string")))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(&self.0)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(std::iter::once(&self.0))
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl ParseFromJSON for StrictString {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value.unwrap_or_default() {
            Value::String(s) => Ok(Self(s)),
            other => Err(ParseError::expected_type(other)),
        }
    }
}

impl ToJSON for StrictString {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.clone()))
    }
}

impl From<StrictString> for String {
    fn from(s: StrictString) -> Self {
        s.0
    }
}

impl From<String> for StrictString {
    fn from(s: String) -> Self {
        Self(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_json_strings_parse() {
        assert_eq!(
            StrictString::parse_from_json(Some("a".into())).unwrap(),
            StrictString("a".into())
        );
        assert!(StrictString::parse_from_json(Some(42.into())).is_err());
        assert!(StrictString::parse_from_json(Some(true.into())).is_err());
        assert!(StrictString::parse_from_json(None).is_err());
    }
}
