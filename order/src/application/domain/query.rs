//! Listing orders: filters and the page position.

use super::{CustomerId, Order, OrderId, OrderStatus, PageLimit};

/// Filters and page position for listing orders, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderQuery {
    pub customer_id: Option<CustomerId>,
    pub status: Option<OrderStatus>,
    pub limit: PageLimit,
    /// Only orders older than this one (the last id of the previous page).
    pub before: Option<OrderId>,
}

/// One page of orders and the cursor of the next page, if there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderPage {
    pub orders: Vec<Order>,
    pub next_before: Option<OrderId>,
}
