//! The order model the use cases work with, and the validated inputs they accept.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// The only currency orders are taken in.
pub const CURRENCY_EUR: &str = "EUR";
pub const MAX_ITEMS: usize = 100;
pub const MAX_TEXT_LEN: usize = 64;
pub const MAX_QUANTITY: i32 = 1_000;
pub const MAX_UNIT_PRICE_CENTS: i64 = 100_000_000;

/// Lifecycle of an order: `created -> sent -> delivered`, or `created -> cancelled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    Created,
    Sent,
    Delivered,
    Cancelled,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 4] = [Self::Created, Self::Sent, Self::Delivered, Self::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }

    /// Whether an order in this status may move to `next`. Staying put is not a transition.
    pub fn can_become(self, next: OrderStatus) -> bool {
        matches!(
            (self, next),
            (Self::Created, Self::Sent) | (Self::Created, Self::Cancelled) | (Self::Sent, Self::Delivered)
        )
    }
}

impl std::fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderItem {
    pub sku: String,
    pub quantity: i32,
    pub unit_price_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: Uuid,
    pub customer_id: String,
    pub items: Vec<OrderItem>,
    /// Sum of `quantity * unit_price_cents` over the items, computed by the server.
    pub total_cents: i64,
    pub currency: String,
    pub status: OrderStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A request to create an order, before validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    pub customer_id: String,
    pub items: Vec<OrderItem>,
    /// `None` means the default, EUR.
    pub currency: Option<String>,
}

/// Why a [`NewOrder`] was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidOrder {
    #[error("customer_id must be 1 to {MAX_TEXT_LEN} characters, not blank, without control characters")]
    CustomerId,
    #[error("an order needs 1 to {MAX_ITEMS} items")]
    ItemCount,
    #[error("items[{0}].sku must be 1 to {MAX_TEXT_LEN} characters, not blank, without control characters")]
    Sku(usize),
    #[error("items[{0}].quantity must be between 1 and {MAX_QUANTITY}")]
    Quantity(usize),
    #[error("items[{0}].unit_price_cents must be between 1 and {MAX_UNIT_PRICE_CENTS}")]
    UnitPrice(usize),
    #[error("currency {0:?} is not supported; only EUR is accepted")]
    Currency(String),
}

/// Free text: 1 to 64 characters, no control characters, not only whitespace.
pub fn valid_text(s: &str) -> bool {
    shared::text::is_clean_text(s, MAX_TEXT_LEN)
}

impl NewOrder {
    /// Checks every field and builds the order, computing its total from the items.
    ///
    /// # Errors
    /// The first rule the input breaks, as an [`InvalidOrder`].
    pub fn into_order(self, id: Uuid, now: DateTime<Utc>) -> Result<Order, InvalidOrder> {
        if !valid_text(&self.customer_id) {
            return Err(InvalidOrder::CustomerId);
        }
        if self.items.is_empty() || self.items.len() > MAX_ITEMS {
            return Err(InvalidOrder::ItemCount);
        }
        let mut total_cents: i64 = 0;
        for (i, item) in self.items.iter().enumerate() {
            if !valid_text(&item.sku) {
                return Err(InvalidOrder::Sku(i));
            }
            if !(1..=MAX_QUANTITY).contains(&item.quantity) {
                return Err(InvalidOrder::Quantity(i));
            }
            if !(1..=MAX_UNIT_PRICE_CENTS).contains(&item.unit_price_cents) {
                return Err(InvalidOrder::UnitPrice(i));
            }
            // Bounded above: 100 items * 1,000 * 100,000,000 = 10^13, far below i64::MAX.
            total_cents += i64::from(item.quantity) * item.unit_price_cents;
        }
        let currency = match self.currency {
            None => CURRENCY_EUR.to_owned(),
            Some(c) if c == CURRENCY_EUR => c,
            Some(other) => return Err(InvalidOrder::Currency(other)),
        };
        Ok(Order {
            id,
            customer_id: self.customer_id,
            items: self.items,
            total_cents,
            currency,
            status: OrderStatus::Created,
            created_at: now,
            updated_at: now,
        })
    }
}

/// Filters and page position for listing orders, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderQuery {
    pub customer_id: Option<String>,
    pub status: Option<OrderStatus>,
    /// Page size, 1 to [`OrderQuery::MAX_LIMIT`].
    pub limit: u64,
    /// Only orders older than this one (the last id of the previous page).
    pub before: Option<Uuid>,
}

impl OrderQuery {
    pub const DEFAULT_LIMIT: u64 = 20;
    pub const MAX_LIMIT: u64 = 100;
}

/// One page of orders and the cursor of the next page, if there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderPage {
    pub orders: Vec<Order>,
    pub next_before: Option<Uuid>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(quantity: i32, unit_price_cents: i64) -> OrderItem {
        OrderItem {
            sku: "SKU-1".into(),
            quantity,
            unit_price_cents,
        }
    }

    fn new_order(items: Vec<OrderItem>) -> NewOrder {
        NewOrder {
            customer_id: "cust-1".into(),
            items,
            currency: None,
        }
    }

    #[test]
    fn only_the_three_documented_transitions_are_allowed() {
        use OrderStatus::*;
        let allowed = [(Created, Sent), (Created, Cancelled), (Sent, Delivered)];
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                assert_eq!(from.can_become(to), allowed.contains(&(from, to)), "{from} -> {to}");
            }
        }
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for status in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(OrderStatus::parse("shipped"), None);
    }

    #[test]
    fn the_total_is_the_sum_of_quantity_times_unit_price() {
        let order = new_order(vec![item(2, 4_999), item(1, 2_002)])
            .into_order(Uuid::nil(), Utc::now())
            .unwrap();
        assert_eq!(order.total_cents, 2 * 4_999 + 2_002);
        assert_eq!(order.currency, "EUR");
        assert_eq!(order.status, OrderStatus::Created);
    }

    #[test]
    fn the_largest_order_does_not_overflow() {
        let items = vec![item(MAX_QUANTITY, MAX_UNIT_PRICE_CENTS); MAX_ITEMS];
        let order = new_order(items).into_order(Uuid::nil(), Utc::now()).unwrap();
        assert_eq!(order.total_cents, 10_000_000_000_000);
    }

    #[test]
    fn each_rule_is_reported() {
        let now = Utc::now();
        let check = |order: NewOrder, expected: InvalidOrder| {
            assert_eq!(order.into_order(Uuid::nil(), now), Err(expected));
        };
        check(
            NewOrder {
                customer_id: " ".into(),
                ..new_order(vec![item(1, 1)])
            },
            InvalidOrder::CustomerId,
        );
        check(
            NewOrder {
                customer_id: "c".repeat(65),
                ..new_order(vec![item(1, 1)])
            },
            InvalidOrder::CustomerId,
        );
        check(new_order(vec![]), InvalidOrder::ItemCount);
        check(new_order(vec![item(1, 1); 101]), InvalidOrder::ItemCount);
        check(new_order(vec![item(1, 1), item(0, 1)]), InvalidOrder::Quantity(1));
        check(new_order(vec![item(1001, 1)]), InvalidOrder::Quantity(0));
        check(new_order(vec![item(1, 0)]), InvalidOrder::UnitPrice(0));
        check(new_order(vec![item(1, -5)]), InvalidOrder::UnitPrice(0));
        check(new_order(vec![item(1, 100_000_001)]), InvalidOrder::UnitPrice(0));
        let mut blank_sku = item(1, 1);
        blank_sku.sku = String::new();
        check(new_order(vec![blank_sku]), InvalidOrder::Sku(0));
        let mut nul_sku = item(1, 1);
        nul_sku.sku = "a\u{0}b".into();
        check(new_order(vec![nul_sku]), InvalidOrder::Sku(0));
        check(
            NewOrder {
                customer_id: "\t\u{3000}".into(),
                ..new_order(vec![item(1, 1)])
            },
            InvalidOrder::CustomerId,
        );
        check(
            NewOrder {
                currency: Some("USD".into()),
                ..new_order(vec![item(1, 1)])
            },
            InvalidOrder::Currency("USD".into()),
        );
    }
}
