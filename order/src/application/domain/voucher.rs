//! Vouchers as the order service knows them: from the voucher service's `voucher.issued`,
//! enough to accept one at checkout. The code itself is known only by its digest
//! (`checkout_domain::VoucherCode::digest`), so the order database holds nothing spendable.

use checkout_domain::{Cents, Currency, CustomerId, InvalidText, Money, NegativeAmount, UnsupportedCurrency};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::OrderId;

/// Which order has a voucher: none, an open one (it is reserved for it), or a sent one (it
/// is spent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    Free,
    Reserved(OrderId),
    Redeemed(OrderId),
}

/// Why a code cannot be used at checkout. Another customer's code is [`Refusal::Unknown`],
/// exactly as a code that does not exist: the answer must not tell that it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("no voucher with this code can be used by this customer")]
    Unknown,
    #[error("the voucher has expired")]
    Expired,
    #[error("the voucher was already used by another order")]
    Used,
    #[error("the voucher is held by another open order; it is given back if that order is cancelled")]
    Held,
}

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

impl Voucher {
    /// What the voucher takes off an order of `subtotal` that `customer` places at `now`,
    /// given which order has it: its value, never more than the subtotal.
    ///
    /// # Errors
    /// The [`Refusal`]: another customer's voucher is unknown; then a spent one is used, a
    /// reserved one held, and one past `expires_at` expired.
    pub fn discount(
        &self,
        hold: Hold,
        customer: &CustomerId,
        subtotal: Money,
        now: DateTime<Utc>,
    ) -> Result<Money, Refusal> {
        if self.customer_id != *customer || self.value.currency != subtotal.currency {
            return Err(Refusal::Unknown);
        }
        match hold {
            Hold::Redeemed(_) => return Err(Refusal::Used),
            Hold::Reserved(_) => return Err(Refusal::Held),
            Hold::Free => {}
        }
        if now >= self.expires_at {
            return Err(Refusal::Expired);
        }
        Ok(Money::new(self.value.amount.min(subtotal.amount), subtotal.currency))
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

    fn eur(cents: i64) -> Money {
        Money::new(Cents::new(cents).unwrap(), Currency::Eur)
    }

    #[test]
    fn a_voucher_takes_its_value_off_the_subtotal_and_never_more() {
        let voucher = parse(&digest(), "alice", 500, "EUR", 60).unwrap();
        let alice = CustomerId::parse("alice").unwrap();
        let now = Utc::now();
        assert_eq!(voucher.discount(Hold::Free, &alice, eur(10_400), now), Ok(eur(500)));
        assert_eq!(voucher.discount(Hold::Free, &alice, eur(300), now), Ok(eur(300)));
    }

    #[test]
    fn each_refusal_has_its_kind_and_another_customers_voucher_is_unknown() {
        let voucher = parse(&digest(), "alice", 500, "EUR", 60).unwrap();
        let (alice, bob) = (CustomerId::parse("alice").unwrap(), CustomerId::parse("bob").unwrap());
        let other = OrderId::from_uuid(Uuid::now_v7());
        let now = Utc::now();
        let subtotal = eur(10_000);
        assert_eq!(voucher.discount(Hold::Free, &bob, subtotal, now), Err(Refusal::Unknown));
        // Whatever became of it, it stays unknown to another customer: no oracle.
        assert_eq!(
            voucher.discount(Hold::Redeemed(other), &bob, subtotal, now),
            Err(Refusal::Unknown)
        );
        assert_eq!(
            voucher.discount(Hold::Redeemed(other), &alice, subtotal, now),
            Err(Refusal::Used)
        );
        assert_eq!(
            voucher.discount(Hold::Reserved(other), &alice, subtotal, now),
            Err(Refusal::Held)
        );
        let later = voucher.expires_at;
        assert_eq!(
            voucher.discount(Hold::Free, &alice, subtotal, later),
            Err(Refusal::Expired)
        );
        assert_eq!(
            voucher.discount(Hold::Free, &alice, subtotal, later - chrono::Duration::microseconds(1)),
            Ok(eur(500)),
            "usable until the instant it expires"
        );
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
