//! The catalog: the shop's products and their prices. An order copies a product's name and
//! price onto its line when it is created, so a later change of the catalog never changes an
//! order or its event.

use checkout_domain::{Currency, InvalidText, PageLimit, parse_text};
use chrono::{DateTime, Utc};

use super::{Sku, UnitPrice};

/// A product's name as the shop shows it: the free-text rule (1 to 64 characters, not blank,
/// no control characters).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProductName(String);

impl ProductName {
    /// # Errors
    /// [`InvalidText`] when `name` breaks the free-text rule.
    pub fn parse(name: impl Into<String>) -> Result<Self, InvalidText> {
        parse_text(name).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A product of the catalog. Only an active product can be ordered; deactivating one keeps
/// it (and every order line that names it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub sku: Sku,
    pub name: ProductName,
    pub unit_price: UnitPrice,
    pub currency: Currency,
    pub active: bool,
    pub updated_at: DateTime<Utc>,
}

/// Filters and page position for listing products, by SKU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductQuery {
    pub active: Option<bool>,
    pub limit: PageLimit,
    /// Only products whose SKU sorts after this one (the last SKU of the previous page).
    pub after: Option<Sku>,
}

/// One page of products and the cursor of the next page, if there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductPage {
    pub products: Vec<Product>,
    pub next_after: Option<Sku>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_follows_the_free_text_rule() {
        assert_eq!(
            ProductName::parse("Laptop Pro 16\"").unwrap().as_str(),
            "Laptop Pro 16\""
        );
        for bad in ["", "   ", "a\u{0}b", &"x".repeat(65)] {
            assert_eq!(ProductName::parse(bad), Err(InvalidText), "{bad:?}");
        }
    }
}
