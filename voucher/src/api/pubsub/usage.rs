//! What the order service's events say an order did with a voucher, read into the domain's
//! [`UsageNews`]: the one place those events meet the voucher's history.

use checkout_contract::events::OrderEvent;
use checkout_domain::InvalidText;

use crate::application::{
    domain::{CustomerId, OrderId, Usage, UsageKind, VoucherId},
    usecases::UsageNews,
};

/// The news `event` brings about a voucher: the order took it (`order.placed`), gave it back
/// (`order.cancelled`) or spent it (`order.sent` of an order that used one); `None` for an
/// order without a voucher; `Err` for a customer id that breaks the domain's rule.
pub(super) fn usage_news(event: &OrderEvent) -> Option<Result<UsageNews, InvalidText>> {
    let (kind, voucher, customer, order, at) = match event {
        OrderEvent::Placed(e) => (
            UsageKind::Reserved,
            e.voucher_id,
            &e.customer_id,
            e.order_id,
            e.occurred_at,
        ),
        OrderEvent::Cancelled(e) => (
            UsageKind::Released,
            e.voucher_id,
            &e.customer_id,
            e.order_id,
            e.occurred_at,
        ),
        OrderEvent::Sent(e) => (
            UsageKind::Redeemed,
            e.voucher_id?,
            &e.customer_id,
            e.order_id,
            e.occurred_at,
        ),
    };
    Some(CustomerId::parse(customer.clone()).map(|customer_id| UsageNews {
        voucher_id: VoucherId::from_uuid(voucher),
        customer_id,
        usage: Usage {
            kind,
            order_id: Some(OrderId::from_uuid(order)),
            at,
        },
    }))
}

#[cfg(test)]
mod tests {
    use checkout_contract::events::{OrderCancelled, OrderSent};
    use chrono::Utc;
    use uuid::Uuid;

    use super::*;

    fn sent() -> OrderSent {
        OrderSent::new(
            Uuid::now_v7(),
            Utc::now(),
            Uuid::now_v7(),
            "cust-1".into(),
            9_900,
            "EUR".into(),
        )
    }

    #[test]
    fn a_sent_order_spends_its_voucher_and_one_without_brings_no_news() {
        assert_eq!(usage_news(&OrderEvent::Sent(sent())), None);
        let voucher = Uuid::now_v7();
        let event = sent().with_voucher(voucher, 500);
        let news = usage_news(&OrderEvent::Sent(event.clone())).unwrap().unwrap();
        assert_eq!(news.voucher_id.as_uuid(), voucher);
        assert_eq!(news.customer_id.as_str(), "cust-1");
        assert_eq!(
            news.usage,
            Usage {
                kind: UsageKind::Redeemed,
                order_id: Some(OrderId::from_uuid(event.order_id)),
                at: event.occurred_at,
            }
        );
    }

    #[test]
    fn a_cancelled_order_gives_its_voucher_back_and_a_bad_customer_is_named() {
        let cancelled = OrderCancelled {
            event_id: Uuid::now_v7(),
            event_type: "order.cancelled".into(),
            schema_version: 1,
            occurred_at: Utc::now(),
            order_id: Uuid::now_v7(),
            customer_id: "cust-1".into(),
            voucher_id: Uuid::now_v7(),
            request_id: None,
            traceparent: None,
        };
        let news = usage_news(&OrderEvent::Cancelled(cancelled.clone())).unwrap().unwrap();
        assert_eq!(news.usage.kind, UsageKind::Released);
        let broken = OrderCancelled {
            customer_id: " ".into(),
            ..cancelled
        };
        assert!(usage_news(&OrderEvent::Cancelled(broken)).unwrap().is_err());
    }
}
