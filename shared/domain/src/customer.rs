//! The customer an order or a voucher belongs to.

use std::fmt;

pub use super::text::InvalidText;
use super::text::parse_text;

/// A customer's id as the shop knows it: free text, 1 to 64 characters, not blank, without
/// control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CustomerId(String);

impl CustomerId {
    /// # Errors
    /// [`InvalidText`] when `id` breaks the free-text rule.
    pub fn parse(id: impl Into<String>) -> Result<Self, InvalidText> {
        parse_text(id).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for CustomerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_customer_id_is_clean_text() {
        assert_eq!(CustomerId::parse("cust-1").unwrap().as_str(), "cust-1");
        assert_eq!(CustomerId::parse(" "), Err(InvalidText));
        assert_eq!(CustomerId::parse("c".repeat(65)), Err(InvalidText));
    }
}
