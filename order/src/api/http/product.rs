//! A product as every catalog operation answers it, and the rules of its fields.

use checkout_http::{Rule, integer_schema, rfc3339, text_schema};
use chrono::{DateTime, Utc};
use poem_openapi::{Object, registry::MetaSchema, types::Example};
use serde::Serialize;

use super::order::Currency;
use crate::application::domain::{Product, UnitPrice};

/// A product's stock-keeping unit, in a path or a body: the domain's free-text rule.
pub enum SkuField {}

impl Rule for SkuField {
    type Value = String;

    fn schema() -> MetaSchema {
        text_schema("BOOK-1")
    }
}

/// A product's name: the domain's free-text rule.
pub enum NameField {}

impl Rule for NameField {
    type Value = String;

    fn schema() -> MetaSchema {
        text_schema("The Rust Programming Language")
    }
}

/// The price of one unit in cents: the domain's limits.
pub enum UnitPriceField {}

impl Rule for UnitPriceField {
    type Value = i64;

    fn schema() -> MetaSchema {
        MetaSchema {
            example: Some(6000.into()),
            ..integer_schema(UnitPrice::MIN_CENTS, UnitPrice::MAX_CENTS)
        }
    }
}

/// A product of the catalog.
#[derive(Debug, Object, Serialize)]
#[oai(example)]
pub struct ProductDto {
    /// Stock-keeping unit: the product's id.
    pub sku: String,
    /// The name orders show on their lines.
    pub name: String,
    /// Price of one unit in cents (6000 is 60.00 EUR).
    pub unit_price_cents: i64,
    /// Currency of `unit_price_cents`.
    pub currency: Currency,
    /// Whether new orders can name it; a deactivated product stays in the catalog.
    pub active: bool,
    /// When the product was last written.
    #[serde(serialize_with = "rfc3339::serialize")]
    pub updated_at: DateTime<Utc>,
}

impl Example for ProductDto {
    fn example() -> Self {
        Self {
            sku: "BOOK-1".into(),
            name: "The Rust Programming Language".into(),
            unit_price_cents: 6000,
            currency: Currency::EUR,
            active: true,
            updated_at: DateTime::parse_from_rfc3339("2026-12-01T09:00:00.250000Z")
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_default(),
        }
    }
}

impl From<Product> for ProductDto {
    fn from(product: Product) -> Self {
        Self {
            sku: product.sku.as_str().to_owned(),
            name: product.name.as_str().to_owned(),
            unit_price_cents: product.unit_price.cents().get(),
            currency: product.currency.into(),
            active: product.active,
            updated_at: product.updated_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_product_is_the_same_json_through_serde_as_through_the_documents_types() {
        checkout_testing::assert_same_json(&ProductDto::example());
    }
}
