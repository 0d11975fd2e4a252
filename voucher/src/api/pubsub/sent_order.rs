//! The `order.sent` event read into the voucher domain's [`SentOrder`]: the one place the
//! wire contract meets the domain.

use checkout_contract::events::OrderSent;

use crate::application::domain::{InvalidSentOrder, OrderId, SentOrder};

/// The sent order an event tells of, or the domain rule its values break.
pub(super) fn sent_order(event: &OrderSent) -> Result<SentOrder, InvalidSentOrder> {
    SentOrder::parse(
        OrderId::from_uuid(event.order_id),
        event.customer_id.clone(),
        event.total_cents,
        &event.currency,
        event.occurred_at,
    )
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use uuid::Uuid;

    use super::*;
    use crate::application::domain::{Cents, Currency, Money, UnsupportedCurrency};

    fn event(customer_id: &str, total_cents: i64, currency: &str) -> OrderSent {
        OrderSent::new(
            Uuid::now_v7(),
            Utc::now(),
            Uuid::now_v7(),
            customer_id.into(),
            total_cents,
            currency.into(),
        )
    }

    #[test]
    fn an_event_becomes_the_sent_order_it_tells_of() {
        let event = event("cust-1", 12_000, "EUR");
        let order = sent_order(&event).unwrap();
        assert_eq!(order.order_id.as_uuid(), event.order_id);
        assert_eq!(order.customer_id.as_str(), "cust-1");
        assert_eq!(order.total, Money::new(Cents::new(12_000).unwrap(), Currency::Eur));
        assert_eq!(order.occurred_at, event.occurred_at);
    }

    #[test]
    fn an_event_whose_values_break_a_rule_names_it() {
        assert_eq!(
            sent_order(&event("cust-1", 12_000, "USD")),
            Err(InvalidSentOrder::Currency {
                currency: UnsupportedCurrency("USD".into()),
                total_cents: 12_000
            })
        );
        assert!(matches!(
            sent_order(&event(" ", 12_000, "EUR")),
            Err(InvalidSentOrder::Customer { .. })
        ));
    }
}
