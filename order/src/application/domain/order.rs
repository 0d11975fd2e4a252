//! The order aggregate: its lines, its total and its lifecycle.

use checkout_contract::events::{
    ORDER_CANCELLED_EVENT_TYPE, ORDER_PLACED_EVENT_TYPE, OrderCancelled, OrderEvent, OrderPlaced, OrderSent,
};
use checkout_domain::{Cents, Currency, CustomerId, Money};
use chrono::{DateTime, SubsecRound, Utc};
use uuid::Uuid;

use super::{
    OrderStatus, Product, ProductName,
    values::{InvalidItemCount, ItemCount, OrderId, Quantity, Sku, UnitPrice},
    voucher::{Hold, Refusal, Voucher},
};

/// A line as a customer asks for it: a product of the catalog and how many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    pub sku: Sku,
    pub quantity: Quantity,
}

/// One line of an order: the product's SKU, and its name and price when the order was
/// created (a snapshot; the catalog may change later).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderItem {
    pub sku: Sku,
    pub name: ProductName,
    pub quantity: Quantity,
    pub unit_price: UnitPrice,
}

impl OrderItem {
    /// `quantity` of `product`, at its name and price now.
    pub fn of(product: &Product, quantity: Quantity) -> Self {
        Self {
            sku: product.sku.clone(),
            name: product.name.clone(),
            quantity,
            unit_price: product.unit_price,
        }
    }

    /// `quantity x unit price`; at most 1,000 x 100,000,000 cents, far below `i64::MAX`.
    fn total(&self) -> Cents {
        self.unit_price
            .cents()
            .checked_mul(self.quantity.get())
            .expect("a line total is bounded by the quantity and price limits")
    }
}

/// Why an order cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidOrder {
    #[error("items {0}")]
    ItemCount(#[from] InvalidItemCount),
    #[error("the stored total {stored} differs from the total of the items less the discount, {computed}")]
    TotalMismatch { stored: Cents, computed: Cents },
    #[error("a discount of {discount} is more than the subtotal")]
    Discount { discount: Cents },
}

/// The voucher an order uses, and what it takes off the order's subtotal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppliedVoucher {
    pub id: Uuid,
    pub discount: Cents,
}

/// A status change that was refused, because the lifecycle does not allow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an order cannot go from {from} to {to}")]
pub struct TransitionRefused {
    pub from: OrderStatus,
    pub to: OrderStatus,
}

/// What [`Order::transition`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    clippy::large_enum_variant,
    reason = "one per request, moved once: boxing would only add an allocation"
)]
pub enum Transition {
    /// The order already had that status: nothing changed, nothing is emitted.
    Unchanged,
    /// The status changed from `from`; becoming `sent` emits `order.sent`, and becoming
    /// `cancelled` emits `order.cancelled` if the order used a voucher.
    Changed {
        from: OrderStatus,
        event: Option<OrderEvent>,
    },
}

/// An order as stored, before the domain has checked it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOrder {
    pub id: OrderId,
    pub customer_id: CustomerId,
    pub items: Vec<OrderItem>,
    /// What the customer pays: the items' sum less the voucher's discount.
    pub total: Cents,
    pub currency: Currency,
    pub voucher: Option<AppliedVoucher>,
    pub status: OrderStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An order. Its fields are private: the subtotal is computed from the items when the order
/// is created, a voucher's discount comes only through [`Order::apply`], and the status
/// moves only through [`Order::transition`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    id: OrderId,
    customer_id: CustomerId,
    items: Vec<OrderItem>,
    subtotal: Money,
    voucher: Option<AppliedVoucher>,
    status: OrderStatus,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// PostgreSQL keeps microseconds; so does the model, so a re-read equals what was returned.
fn stored_precision(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(6)
}

fn total_of(items: &[OrderItem]) -> Cents {
    // 100 lines of at most 10^11 cents each: far below i64::MAX.
    items
        .iter()
        .map(OrderItem::total)
        .try_fold(Cents::ZERO, Cents::checked_add)
        .expect("an order total is bounded by the item limits")
}

impl Order {
    /// A new order in status `created`, its total computed from the items.
    ///
    /// # Errors
    /// [`InvalidOrder::ItemCount`] unless it has 1 to 100 items.
    pub fn new(
        id: OrderId,
        customer_id: CustomerId,
        items: Vec<OrderItem>,
        currency: Currency,
        now: DateTime<Utc>,
    ) -> Result<Self, InvalidOrder> {
        ItemCount::check(items.len())?;
        let now = stored_precision(now);
        Ok(Self {
            id,
            customer_id,
            subtotal: Money::new(total_of(&items), currency),
            items,
            voucher: None,
            status: OrderStatus::Created,
            created_at: now,
            updated_at: now,
        })
    }

    /// Takes `voucher` (which `hold` says which order has) off this new order placed at
    /// `now`, by the domain's rule [`Voucher::discount`].
    ///
    /// # Errors
    /// The [`Refusal`]; the order is unchanged.
    pub fn apply(&mut self, voucher: &Voucher, hold: Hold, now: DateTime<Utc>) -> Result<(), Refusal> {
        let discount = voucher.discount(hold, &self.customer_id, self.subtotal, now)?;
        self.voucher = Some(AppliedVoucher {
            id: voucher.id,
            discount: discount.amount,
        });
        Ok(())
    }

    /// An order read back from storage, checked against the same rules.
    ///
    /// # Errors
    /// [`InvalidOrder`] when the stored order breaks a rule or its total is not its items'
    /// less its discount.
    pub fn restore(stored: StoredOrder) -> Result<Self, InvalidOrder> {
        ItemCount::check(stored.items.len())?;
        let subtotal = total_of(&stored.items);
        if let Some(voucher) = stored.voucher
            && voucher.discount > subtotal
        {
            return Err(InvalidOrder::Discount {
                discount: voucher.discount,
            });
        }
        let discount = stored.voucher.map_or(0, |v| v.discount.get());
        let computed = Cents::new(subtotal.get() - discount).expect("a discount is at most the subtotal");
        if computed != stored.total {
            return Err(InvalidOrder::TotalMismatch {
                stored: stored.total,
                computed,
            });
        }
        Ok(Self {
            id: stored.id,
            customer_id: stored.customer_id,
            items: stored.items,
            subtotal: Money::new(subtotal, stored.currency),
            voucher: stored.voucher,
            status: stored.status,
            created_at: stored.created_at,
            updated_at: stored.updated_at,
        })
    }

    /// Moves the order to `to` at `at`. Becoming `sent` returns the `order.sent` event that
    /// the change must be stored with; asking for the current status changes nothing.
    ///
    /// # Errors
    /// [`TransitionRefused`] for a move the lifecycle does not allow; the order is unchanged.
    pub fn transition(&mut self, to: OrderStatus, at: DateTime<Utc>) -> Result<Transition, TransitionRefused> {
        let from = self.status;
        if from == to {
            return Ok(Transition::Unchanged);
        }
        if !from.can_become(to) {
            return Err(TransitionRefused { from, to });
        }
        self.status = to;
        self.updated_at = stored_precision(at);
        let event = match to {
            OrderStatus::Sent => Some(OrderEvent::Sent(self.sent_event())),
            OrderStatus::Cancelled => self.voucher.map(|voucher| {
                OrderEvent::Cancelled(OrderCancelled {
                    event_id: Uuid::now_v7(),
                    event_type: ORDER_CANCELLED_EVENT_TYPE.to_owned(),
                    schema_version: 1,
                    occurred_at: self.updated_at,
                    order_id: self.id.as_uuid(),
                    customer_id: self.customer_id.as_str().to_owned(),
                    voucher_id: voucher.id,
                    request_id: None,
                    traceparent: None,
                })
            }),
            _ => None,
        };
        Ok(Transition::Changed { from, event })
    }

    fn sent_event(&self) -> OrderSent {
        let total = self.total();
        let event = OrderSent::new(
            Uuid::now_v7(),
            self.updated_at,
            self.id.as_uuid(),
            self.customer_id.as_str().to_owned(),
            total.amount.get(),
            total.currency.code().to_owned(),
        );
        match self.voucher {
            Some(voucher) => event.with_voucher(voucher.id, voucher.discount.get()),
            None => event,
        }
    }

    /// The `order.placed` event a new order that uses a voucher is stored with; `None` for
    /// an order without one.
    pub fn placed_event(&self) -> Option<OrderEvent> {
        let voucher = self.voucher?;
        let total = self.total();
        Some(OrderEvent::Placed(OrderPlaced {
            event_id: Uuid::now_v7(),
            event_type: ORDER_PLACED_EVENT_TYPE.to_owned(),
            schema_version: 1,
            occurred_at: self.created_at,
            order_id: self.id.as_uuid(),
            customer_id: self.customer_id.as_str().to_owned(),
            voucher_id: voucher.id,
            subtotal_cents: self.subtotal.amount.get(),
            discount_cents: voucher.discount.get(),
            total_cents: total.amount.get(),
            currency: total.currency.code().to_owned(),
            request_id: None,
            traceparent: None,
        }))
    }

    pub fn id(&self) -> OrderId {
        self.id
    }

    pub fn customer_id(&self) -> &CustomerId {
        &self.customer_id
    }

    pub fn items(&self) -> &[OrderItem] {
        &self.items
    }

    /// Sum of quantity x unit price over the items.
    pub fn subtotal(&self) -> Money {
        self.subtotal
    }

    /// The voucher the order uses, if any, with its discount.
    pub fn voucher(&self) -> Option<AppliedVoucher> {
        self.voucher
    }

    /// What the voucher takes off the subtotal (zero without one).
    pub fn discount(&self) -> Money {
        let cents = self.voucher.map_or(Cents::ZERO, |v| v.discount);
        Money::new(cents, self.subtotal.currency)
    }

    /// What the customer pays: the subtotal less the discount.
    pub fn total(&self) -> Money {
        let cents = self.subtotal.amount.get() - self.discount().amount.get();
        Money::new(
            Cents::new(cents).expect("a discount is at most the subtotal"),
            self.subtotal.currency,
        )
    }

    pub fn status(&self) -> OrderStatus {
        self.status
    }

    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    pub fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::application::domain::{Quantity, UnitPrice};

    pub(crate) fn item(quantity: i64, unit_price_cents: i64) -> OrderItem {
        OrderItem {
            sku: Sku::parse("SKU-1").unwrap(),
            name: ProductName::parse("Product 1").unwrap(),
            quantity: Quantity::new(quantity).unwrap(),
            unit_price: UnitPrice::new(unit_price_cents).unwrap(),
        }
    }

    /// An order of `items` (quantity, unit price) for customer `cust-1`, moved to `status`
    /// through the lifecycle.
    pub(crate) fn order_in(status: OrderStatus, items: &[(i64, i64)]) -> Order {
        let items = items.iter().map(|(q, p)| item(*q, *p)).collect();
        let customer = CustomerId::parse("cust-1").unwrap();
        let mut order = Order::new(OrderId::generate(), customer, items, Currency::Eur, Utc::now()).unwrap();
        let path: &[OrderStatus] = match status {
            OrderStatus::Created => &[],
            OrderStatus::Sent => &[OrderStatus::Sent],
            OrderStatus::Delivered => &[OrderStatus::Sent, OrderStatus::Delivered],
            OrderStatus::Cancelled => &[OrderStatus::Cancelled],
        };
        for step in path {
            order.transition(*step, Utc::now()).unwrap();
        }
        order
    }

    #[test]
    fn the_total_is_the_sum_of_quantity_times_unit_price() {
        let order = order_in(OrderStatus::Created, &[(2, 4_999), (1, 2_002)]);
        assert_eq!(order.total().amount.get(), 2 * 4_999 + 2_002);
        assert_eq!(order.total().currency, Currency::Eur);
        assert_eq!(order.status(), OrderStatus::Created);
        assert_eq!(order.created_at(), order.updated_at());
    }

    #[test]
    fn the_largest_order_does_not_overflow() {
        let items = vec![(i64::from(Quantity::MAX), UnitPrice::MAX_CENTS); 100];
        assert_eq!(
            order_in(OrderStatus::Created, &items).total().amount.get(),
            10_000_000_000_000
        );
    }

    #[test]
    fn an_order_needs_1_to_100_items() {
        let customer = CustomerId::parse("c").unwrap();
        for count in [0, 101] {
            let err = Order::new(
                OrderId::generate(),
                customer.clone(),
                vec![item(1, 1); count],
                Currency::Eur,
                Utc::now(),
            )
            .unwrap_err();
            assert_eq!(err, InvalidOrder::ItemCount(InvalidItemCount), "{count}");
        }
    }

    #[test]
    fn every_allowed_move_changes_the_status_and_only_sent_emits_an_event() {
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                if !from.can_become(to) {
                    continue;
                }
                let mut order = order_in(from, &[(2, 6_000)]);
                let at = Utc::now() + chrono::Duration::seconds(5);
                let Transition::Changed { from: was, event } = order.transition(to, at).unwrap() else {
                    panic!("{from} -> {to} changed nothing");
                };
                assert_eq!((was, order.status()), (from, to));
                assert_eq!(order.updated_at(), stored_precision(at));
                match event {
                    Some(OrderEvent::Sent(event)) => {
                        assert_eq!(to, OrderStatus::Sent);
                        assert_eq!(event.order_id, order.id().as_uuid());
                        assert_eq!(event.customer_id, "cust-1");
                        assert_eq!(event.total_cents, 12_000);
                        assert_eq!(event.currency, "EUR");
                        assert_eq!(event.occurred_at, order.updated_at());
                    }
                    None => assert_ne!(to, OrderStatus::Sent, "becoming sent must emit order.sent"),
                    Some(other) => panic!("an order without a voucher emits only order.sent: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn every_refused_move_leaves_the_order_as_it_was() {
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                if from == to || from.can_become(to) {
                    continue;
                }
                let mut order = order_in(from, &[(1, 100)]);
                let before = order.clone();
                assert_eq!(order.transition(to, Utc::now()), Err(TransitionRefused { from, to }));
                assert_eq!(order, before, "{from} -> {to}");
            }
        }
    }

    #[test]
    fn asking_for_the_current_status_changes_and_emits_nothing() {
        for status in OrderStatus::ALL {
            let mut order = order_in(status, &[(1, 100)]);
            let before = order.clone();
            assert_eq!(order.transition(status, Utc::now()), Ok(Transition::Unchanged));
            assert_eq!(order, before);
        }
    }

    #[test]
    fn a_stored_order_is_checked_against_the_rules() {
        let order = order_in(OrderStatus::Sent, &[(3, 1_000)]);
        let stored = StoredOrder {
            id: order.id(),
            customer_id: order.customer_id().clone(),
            items: order.items().to_vec(),
            total: order.total().amount,
            currency: Currency::Eur,
            voucher: None,
            status: order.status(),
            created_at: order.created_at(),
            updated_at: order.updated_at(),
        };
        assert_eq!(Order::restore(stored.clone()), Ok(order));
        let wrong_total = StoredOrder {
            total: Cents::new(1).unwrap(),
            ..stored.clone()
        };
        assert!(matches!(
            Order::restore(wrong_total),
            Err(InvalidOrder::TotalMismatch { .. })
        ));
        let no_items = StoredOrder {
            items: Vec::new(),
            total: Cents::ZERO,
            ..stored
        };
        assert_eq!(Order::restore(no_items), Err(InvalidOrder::ItemCount(InvalidItemCount)));
    }

    /// A voucher of `cents` for `cust-1`, valid for an hour.
    fn voucher(cents: i64) -> Voucher {
        let now = Utc::now();
        Voucher::parse(
            Uuid::now_v7(),
            crate::application::domain::voucher::tests::digest(),
            "cust-1".into(),
            cents,
            "EUR",
            now,
            now + chrono::Duration::hours(1),
        )
        .unwrap()
    }

    #[test]
    fn a_voucher_makes_the_total_the_subtotal_less_its_discount() {
        let mut order = order_in(OrderStatus::Created, &[(1, 10_400)]);
        let voucher = voucher(500);
        order.apply(&voucher, Hold::Free, Utc::now()).unwrap();
        assert_eq!(
            (
                order.subtotal().amount.get(),
                order.discount().amount.get(),
                order.total().amount.get()
            ),
            (10_400, 500, 9_900)
        );
        let Some(OrderEvent::Placed(placed)) = order.placed_event() else {
            panic!("an order with a voucher is placed with an event")
        };
        assert_eq!(
            (
                placed.voucher_id,
                placed.subtotal_cents,
                placed.discount_cents,
                placed.total_cents
            ),
            (voucher.id, 10_400, 500, 9_900)
        );
        assert_eq!(placed.order_id, order.id().as_uuid());

        let mut sent = order.clone();
        let Transition::Changed {
            event: Some(OrderEvent::Sent(event)),
            ..
        } = sent.transition(OrderStatus::Sent, Utc::now()).unwrap()
        else {
            panic!("sending emits order.sent")
        };
        assert_eq!(
            (
                event.total_cents,
                event.subtotal_cents,
                event.discount_cents,
                event.voucher_id
            ),
            (9_900, Some(10_400), Some(500), Some(voucher.id)),
            "the earning rule reads total_cents: what the customer paid"
        );

        let mut cancelled = order.clone();
        let Transition::Changed {
            event: Some(OrderEvent::Cancelled(event)),
            ..
        } = cancelled.transition(OrderStatus::Cancelled, Utc::now()).unwrap()
        else {
            panic!("cancelling an order with a voucher emits order.cancelled")
        };
        assert_eq!((event.order_id, event.voucher_id), (order.id().as_uuid(), voucher.id));
    }

    #[test]
    fn an_order_without_a_voucher_is_placed_and_cancelled_without_an_event() {
        let mut order = order_in(OrderStatus::Created, &[(1, 10_400)]);
        assert_eq!(order.placed_event(), None);
        assert_eq!(order.discount().amount, Cents::ZERO);
        assert!(matches!(
            order.transition(OrderStatus::Cancelled, Utc::now()),
            Ok(Transition::Changed { event: None, .. })
        ));
    }

    #[test]
    fn a_refused_voucher_leaves_the_order_as_it_was() {
        let mut order = order_in(OrderStatus::Created, &[(1, 10_400)]);
        let before = order.clone();
        let taken = Hold::Reserved(OrderId::generate());
        assert_eq!(order.apply(&voucher(500), taken, Utc::now()), Err(Refusal::Held));
        assert_eq!(order, before);
    }

    #[test]
    fn a_voucher_worth_more_than_the_subtotal_makes_it_free_and_no_less() {
        let mut order = order_in(OrderStatus::Created, &[(1, 300)]);
        order.apply(&voucher(500), Hold::Free, Utc::now()).unwrap();
        assert_eq!((order.discount().amount.get(), order.total().amount.get()), (300, 0));
    }

    #[test]
    fn a_stored_order_with_a_voucher_is_checked_against_its_discount() {
        let mut order = order_in(OrderStatus::Created, &[(1, 10_400)]);
        order.apply(&voucher(500), Hold::Free, Utc::now()).unwrap();
        let stored = StoredOrder {
            id: order.id(),
            customer_id: order.customer_id().clone(),
            items: order.items().to_vec(),
            total: order.total().amount,
            currency: Currency::Eur,
            voucher: order.voucher(),
            status: order.status(),
            created_at: order.created_at(),
            updated_at: order.updated_at(),
        };
        assert_eq!(Order::restore(stored.clone()), Ok(order.clone()));
        let undiscounted = StoredOrder {
            total: order.subtotal().amount,
            ..stored.clone()
        };
        assert!(matches!(
            Order::restore(undiscounted),
            Err(InvalidOrder::TotalMismatch { .. })
        ));
        let too_much = StoredOrder {
            voucher: Some(AppliedVoucher {
                id: Uuid::now_v7(),
                discount: Cents::new(10_401).unwrap(),
            }),
            total: Cents::ZERO,
            ..stored
        };
        assert!(matches!(Order::restore(too_much), Err(InvalidOrder::Discount { .. })));
    }
}
