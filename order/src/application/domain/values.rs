//! Value types of an order, each parsed once at the edge and trusted afterwards.

use std::fmt;

use checkout_domain::{Cents, InvalidText, parse_text};
use uuid::Uuid;

/// An order's id: a UUIDv7, so ids sort by creation time (keyset pagination relies on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrderId(Uuid);

/// Text that is not an order id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be a UUID")]
pub struct InvalidOrderId;

impl OrderId {
    /// A new id, later than every id generated before it in this process.
    pub fn generate() -> Self {
        Self(Uuid::now_v7())
    }

    pub const fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }

    /// # Errors
    /// [`InvalidOrderId`] when `s` is not a UUID.
    pub fn parse(s: &str) -> Result<Self, InvalidOrderId> {
        Uuid::try_parse(s).map(Self).map_err(|_| InvalidOrderId)
    }

    pub const fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A product's stock-keeping unit: free text, 1 to 64 characters, not blank, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sku(String);

impl Sku {
    /// # Errors
    /// [`InvalidText`] when `sku` breaks the free-text rule.
    pub fn parse(sku: impl Into<String>) -> Result<Self, InvalidText> {
        parse_text(sku).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How many units of a product a line orders: 1 to 1,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quantity(u32);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be an integer from {min} to {max}", min = Quantity::MIN, max = Quantity::MAX)]
pub struct InvalidQuantity;

impl Quantity {
    pub const MIN: u32 = 1;
    pub const MAX: u32 = 1_000;

    /// # Errors
    /// [`InvalidQuantity`] outside [`Quantity::MIN`]..=[`Quantity::MAX`].
    pub fn new(quantity: i64) -> Result<Self, InvalidQuantity> {
        u32::try_from(quantity)
            .ok()
            .filter(|q| (Self::MIN..=Self::MAX).contains(q))
            .map(Self)
            .ok_or(InvalidQuantity)
    }

    pub const fn get(self) -> u32 {
        self.0
    }
}

/// The price of one unit, in cents of the order's currency: 1 to 100,000,000 (1,000,000.00).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UnitPrice(Cents);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be an integer from {min} to {max} (cents)", min = UnitPrice::MIN_CENTS, max = UnitPrice::MAX_CENTS)]
pub struct InvalidUnitPrice;

impl UnitPrice {
    pub const MIN_CENTS: i64 = 1;
    pub const MAX_CENTS: i64 = 100_000_000;

    /// # Errors
    /// [`InvalidUnitPrice`] outside [`UnitPrice::MIN_CENTS`]..=[`UnitPrice::MAX_CENTS`].
    pub fn new(cents: i64) -> Result<Self, InvalidUnitPrice> {
        if (Self::MIN_CENTS..=Self::MAX_CENTS).contains(&cents) {
            Cents::new(cents).map(Self).map_err(|_| InvalidUnitPrice)
        } else {
            Err(InvalidUnitPrice)
        }
    }

    pub const fn cents(self) -> Cents {
        self.0
    }
}

/// How many lines an order has: 1 to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemCount;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must hold {min} to {max} items", min = ItemCount::MIN, max = ItemCount::MAX)]
pub struct InvalidItemCount;

impl ItemCount {
    pub const MIN: usize = 1;
    pub const MAX: usize = 100;

    /// # Errors
    /// [`InvalidItemCount`] outside [`ItemCount::MIN`]..=[`ItemCount::MAX`].
    pub fn check(count: usize) -> Result<(), InvalidItemCount> {
        if (Self::MIN..=Self::MAX).contains(&count) {
            Ok(())
        } else {
            Err(InvalidItemCount)
        }
    }
}

/// A client's `Idempotency-Key`: 1 to 255 bytes, compared exactly. HTTP header values are
/// bytes; those outside printable ASCII (and `\`) are kept, written as `\xNN`, so that no two
/// keys read alike.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be 1 to {max} bytes", max = IdempotencyKey::MAX_BYTES)]
pub struct InvalidIdempotencyKey;

impl IdempotencyKey {
    pub const MAX_BYTES: usize = 255;
    /// The longest key as stored: every byte written as `\xNN`.
    pub const MAX_STORED_CHARS: usize = 4 * Self::MAX_BYTES;

    /// # Errors
    /// [`InvalidIdempotencyKey`] when empty or longer than [`IdempotencyKey::MAX_BYTES`].
    pub fn from_header(value: &[u8]) -> Result<Self, InvalidIdempotencyKey> {
        if !(1..=Self::MAX_BYTES).contains(&value.len()) {
            return Err(InvalidIdempotencyKey);
        }
        let mut key = String::with_capacity(value.len());
        for &byte in value {
            if (b' '..=b'~').contains(&byte) && byte != b'\\' {
                key.push(char::from(byte));
            } else {
                key.push_str(&format!("\\x{byte:02x}"));
            }
        }
        Ok(Self(key))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// This key as `caller`'s (the token's subject): keys of different callers never meet.
    pub fn of_caller(&self, caller: &str) -> CallersKey {
        CallersKey {
            caller: caller.to_owned(),
            key: self.clone(),
        }
    }
}

/// An idempotency key and the caller it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CallersKey {
    caller: String,
    key: IdempotencyKey,
}

impl CallersKey {
    pub fn caller(&self) -> &str {
        &self.caller
    }

    pub fn key(&self) -> &str {
        self.key.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_from_1_to_1000_are_accepted() {
        assert_eq!(Quantity::new(1).map(Quantity::get), Ok(1));
        assert_eq!(Quantity::new(1_000).map(Quantity::get), Ok(1_000));
        for bad in [0, -1, 1_001, i64::MAX, i64::MIN] {
            assert_eq!(Quantity::new(bad), Err(InvalidQuantity), "{bad}");
        }
        assert_eq!(InvalidQuantity.to_string(), "must be an integer from 1 to 1000");
    }

    #[test]
    fn unit_prices_from_1_cent_to_a_million_euros_are_accepted() {
        assert_eq!(UnitPrice::new(1).map(|p| p.cents().get()), Ok(1));
        assert_eq!(UnitPrice::new(100_000_000).map(|p| p.cents().get()), Ok(100_000_000));
        for bad in [0, -5, 100_000_001] {
            assert_eq!(UnitPrice::new(bad), Err(InvalidUnitPrice), "{bad}");
        }
        assert_eq!(
            InvalidUnitPrice.to_string(),
            "must be an integer from 1 to 100000000 (cents)"
        );
    }

    #[test]
    fn an_order_holds_1_to_100_items() {
        assert_eq!(ItemCount::check(1), Ok(()));
        assert_eq!(ItemCount::check(100), Ok(()));
        assert_eq!(ItemCount::check(0), Err(InvalidItemCount));
        assert_eq!(ItemCount::check(101), Err(InvalidItemCount));
        assert_eq!(InvalidItemCount.to_string(), "must hold 1 to 100 items");
    }

    #[test]
    fn skus_are_free_text() {
        assert_eq!(Sku::parse("SKU-1").unwrap().as_str(), "SKU-1");
        for bad in ["", " ", "a\u{0}b", &"s".repeat(65)] {
            assert_eq!(Sku::parse(bad), Err(InvalidText), "{bad:?}");
        }
    }

    #[test]
    fn idempotency_keys_are_1_to_255_bytes_and_never_read_alike() {
        assert_eq!(IdempotencyKey::from_header(b"k-1").unwrap().as_str(), "k-1");
        assert!(IdempotencyKey::from_header(&[b'k'; 255]).is_ok());
        assert_eq!(IdempotencyKey::from_header(b""), Err(InvalidIdempotencyKey));
        assert_eq!(IdempotencyKey::from_header(&[b'k'; 256]), Err(InvalidIdempotencyKey));
        let latin1 = IdempotencyKey::from_header(b"caf\xe9").unwrap();
        assert_eq!(latin1.as_str(), "caf\\xe9");
        let written_out = IdempotencyKey::from_header(br"caf\xe9").unwrap();
        assert_ne!(latin1, written_out, "a key that spells out the escape is another key");
    }

    #[test]
    fn order_ids_are_uuids() {
        let id = OrderId::generate();
        assert_eq!(OrderId::parse(&id.to_string()), Ok(id));
        assert_eq!(OrderId::parse("42"), Err(InvalidOrderId));
        assert!(OrderId::generate() > id, "ids sort by creation time");
    }
}
