//! A sent order as the voucher domain knows it: what the `order.sent` event says, in the
//! domain's own types. The event is read into one at the edge.

use std::fmt;

use checkout_domain::{Cents, Currency, CustomerId, InvalidText, Money, NegativeAmount, UnsupportedCurrency};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// The id of an order of the order service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrderId(Uuid);

impl OrderId {
    pub const fn from_uuid(id: Uuid) -> Self {
        Self(id)
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

/// An order that was sent: the customer it belongs to and what it was worth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentOrder {
    pub order_id: OrderId,
    pub customer_id: CustomerId,
    pub total: Money,
    pub occurred_at: DateTime<Utc>,
}

/// A sent order whose values break one of the domain's rules, with what the policy still
/// needs to judge it: the total is read before the customer, as the policy reads it first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvalidSentOrder {
    /// A currency the system does not know, for a total of `total_cents`.
    Currency {
        currency: UnsupportedCurrency,
        total_cents: i64,
    },
    /// A total below zero.
    Total(NegativeAmount),
    /// A customer id that breaks the free-text rule, for an order worth `total`.
    Customer { total: Money, error: InvalidText },
}

impl InvalidSentOrder {
    /// The order's total in cents, as given.
    pub fn total_cents(&self) -> i64 {
        match self {
            Self::Currency { total_cents, .. } => *total_cents,
            Self::Total(negative) => negative.0,
            Self::Customer { total, .. } => total.amount.get(),
        }
    }
}

impl SentOrder {
    /// A sent order from its values as given, each checked by the domain's rule: the
    /// currency first, then the total, then the customer id.
    ///
    /// # Errors
    /// [`InvalidSentOrder`] naming the first rule broken.
    pub fn parse(
        order_id: OrderId,
        customer_id: impl Into<String>,
        total_cents: i64,
        currency: &str,
        occurred_at: DateTime<Utc>,
    ) -> Result<Self, InvalidSentOrder> {
        let currency: Currency = currency
            .parse()
            .map_err(|currency| InvalidSentOrder::Currency { currency, total_cents })?;
        let total = Money::new(Cents::new(total_cents).map_err(InvalidSentOrder::Total)?, currency);
        let customer_id =
            CustomerId::parse(customer_id).map_err(|error| InvalidSentOrder::Customer { total, error })?;
        Ok(Self {
            order_id,
            customer_id,
            total,
            occurred_at,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A sent order of a fresh id, sent now, read as the handler reads an event.
    pub(crate) fn parse(customer_id: &str, total_cents: i64, currency: &str) -> Result<SentOrder, InvalidSentOrder> {
        SentOrder::parse(
            OrderId::from_uuid(Uuid::now_v7()),
            customer_id,
            total_cents,
            currency,
            Utc::now(),
        )
    }

    #[test]
    fn a_sent_order_holds_the_domain_s_values() {
        let order = parse("cust-1", 12_000, "EUR").unwrap();
        assert_eq!(order.customer_id.as_str(), "cust-1");
        assert_eq!(order.total, Money::new(Cents::new(12_000).unwrap(), Currency::Eur));
    }

    #[test]
    fn the_first_rule_broken_is_named_currency_then_total_then_customer() {
        let currency = parse(" ", -1, "USD").unwrap_err();
        assert_eq!(
            currency,
            InvalidSentOrder::Currency {
                currency: UnsupportedCurrency("USD".into()),
                total_cents: -1
            }
        );
        assert_eq!(currency.total_cents(), -1);
        let total = parse(" ", -5, "EUR").unwrap_err();
        assert_eq!(total, InvalidSentOrder::Total(NegativeAmount(-5)));
        assert_eq!(total.total_cents(), -5);
        let customer = parse(" ", 12_000, "EUR").unwrap_err();
        assert!(
            matches!(customer, InvalidSentOrder::Customer { error: InvalidText, .. }),
            "{customer:?}"
        );
        assert_eq!(customer.total_cents(), 12_000);
    }
}
