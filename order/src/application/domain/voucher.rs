//! Vouchers as the order service knows them: from the voucher service's `voucher.issued`,
//! enough to accept one at checkout. The code itself is known only by its digest
//! (`checkout_domain::VoucherCode::digest`), so the order database holds nothing spendable.

use checkout_domain::{Cents, Currency, CustomerId, InvalidText, Money, NegativeAmount, UnsupportedCurrency};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A voucher as announced by the voucher service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voucher {
    pub id: Uuid,
    /// SHA-256 of its canonical code, lowercase hex.
    pub code_digest: String,
    /// The only customer who may spend it.
    pub customer_id: CustomerId,
    pub value: Money,
    pub issued_at: DateTime<Utc>,
    /// From this instant on, no new order can take it.
    pub expires_at: DateTime<Utc>,
}

/// An announced voucher that breaks a rule: it can never be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidVoucher {
    #[error("code_digest must be a SHA-256 in lowercase hex")]
    Digest,
    #[error("customer_id {0}")]
    Customer(InvalidText),
    #[error("amount_cents must be at least 1: {0}")]
    Amount(String),
    #[error(transparent)]
    Currency(UnsupportedCurrency),
    #[error("a voucher expires after it is issued")]
    Expiry,
}

impl Voucher {
    /// The voucher an announcement tells of, checked against the domain's rules.
    ///
    /// # Errors
    /// The [`InvalidVoucher`] rule it breaks.
    pub fn parse(
        id: Uuid,
        code_digest: String,
        customer_id: String,
        amount_cents: i64,
        currency: &str,
        issued_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<Self, InvalidVoucher> {
        if code_digest.len() != 64
            || !code_digest
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(InvalidVoucher::Digest);
        }
        let customer_id = CustomerId::parse(customer_id).map_err(InvalidVoucher::Customer)?;
        let amount = Cents::new(amount_cents).map_err(|e: NegativeAmount| InvalidVoucher::Amount(e.to_string()))?;
        if amount == Cents::ZERO {
            return Err(InvalidVoucher::Amount("0".into()));
        }
        let currency: Currency = currency.parse().map_err(InvalidVoucher::Currency)?;
        if expires_at <= issued_at {
            return Err(InvalidVoucher::Expiry);
        }
        Ok(Self {
            id,
            code_digest,
            customer_id,
            value: Money::new(amount, currency),
            issued_at,
            expires_at,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn digest() -> String {
        "ab".repeat(32)
    }

    fn parse(
        digest: &str,
        customer: &str,
        cents: i64,
        currency: &str,
        valid_for: i64,
    ) -> Result<Voucher, InvalidVoucher> {
        let issued_at = Utc::now();
        Voucher::parse(
            Uuid::now_v7(),
            digest.into(),
            customer.into(),
            cents,
            currency,
            issued_at,
            issued_at + chrono::Duration::seconds(valid_for),
        )
    }

    #[test]
    fn an_announced_voucher_is_read_with_its_owner_value_and_expiry() {
        let voucher = parse(&digest(), "alice", 500, "EUR", 60).unwrap();
        assert_eq!(voucher.customer_id.as_str(), "alice");
        assert_eq!(voucher.value, Money::new(Cents::new(500).unwrap(), Currency::Eur));
        assert_eq!(voucher.expires_at - voucher.issued_at, chrono::Duration::seconds(60));
    }

    #[test]
    fn each_broken_rule_is_named() {
        assert_eq!(parse("AB", "alice", 500, "EUR", 60), Err(InvalidVoucher::Digest));
        assert_eq!(
            parse(&"AB".repeat(32), "alice", 500, "EUR", 60),
            Err(InvalidVoucher::Digest)
        );
        assert!(matches!(
            parse(&digest(), " ", 500, "EUR", 60),
            Err(InvalidVoucher::Customer(_))
        ));
        assert!(matches!(
            parse(&digest(), "alice", 0, "EUR", 60),
            Err(InvalidVoucher::Amount(_))
        ));
        assert!(matches!(
            parse(&digest(), "alice", -5, "EUR", 60),
            Err(InvalidVoucher::Amount(_))
        ));
        assert!(matches!(
            parse(&digest(), "alice", 500, "USD", 60),
            Err(InvalidVoucher::Currency(_))
        ));
        assert_eq!(parse(&digest(), "alice", 500, "EUR", 0), Err(InvalidVoucher::Expiry));
    }
}
