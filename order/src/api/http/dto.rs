//! Request and response bodies. Their doc comments and validators are the OpenAPI text.

use chrono::{DateTime, Utc};
use poem_openapi::{Enum, Object};
use shared::http::StrictString;
use uuid::Uuid;

use crate::application::dto::{NewOrder, Order, OrderItem, OrderPage, OrderStatus};

/// Currencies orders are accepted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum Currency {
    #[allow(clippy::upper_case_acronyms)]
    EUR,
}

/// Where an order is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum OrderStatusDto {
    Created,
    Sent,
    Delivered,
    Cancelled,
}

/// A status an order can be moved to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum TargetStatus {
    Sent,
    Delivered,
    Cancelled,
}

/// One line of an order.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct OrderItemDto {
    /// Stock-keeping unit of the product.
    #[oai(validator(min_length = 1, max_length = 64))]
    pub sku: StrictString,
    #[oai(validator(minimum(value = "1"), maximum(value = "1000")))]
    pub quantity: i32,
    /// Price of one unit in cents.
    #[oai(validator(minimum(value = "1"), maximum(value = "100000000")))]
    pub unit_price_cents: i64,
}

/// A new order. The total is computed by the server from the items.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateOrderRequest {
    /// The customer placing the order.
    #[oai(validator(min_length = 1, max_length = 64))]
    pub customer_id: StrictString,
    #[oai(validator(min_items = 1, max_items = 100))]
    pub items: Vec<OrderItemDto>,
    /// Defaults to EUR (also when null), the only currency accepted.
    #[oai(nullable)]
    pub currency: Option<Currency>,
}

/// The status to move an order to.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct UpdateStatusRequest {
    pub status: TargetStatus,
}

/// An order.
#[derive(Debug, Object)]
pub struct OrderDto {
    pub id: Uuid,
    pub customer_id: String,
    pub items: Vec<OrderItemDto>,
    /// Sum of quantity times unit price over the items, in cents.
    pub total_cents: i64,
    pub currency: Currency,
    pub status: OrderStatusDto,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A page of orders, newest first.
#[derive(Debug, Object)]
pub struct OrderPageDto {
    pub items: Vec<OrderDto>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[oai(skip_serializing_if_is_none)]
    pub next_cursor: Option<Uuid>,
}

impl From<CreateOrderRequest> for NewOrder {
    fn from(req: CreateOrderRequest) -> Self {
        NewOrder {
            customer_id: req.customer_id.into(),
            items: req
                .items
                .into_iter()
                .map(|i| OrderItem {
                    sku: i.sku.into(),
                    quantity: i.quantity,
                    unit_price_cents: i.unit_price_cents,
                })
                .collect(),
            currency: req.currency.map(|Currency::EUR| "EUR".to_owned()),
        }
    }
}

impl From<OrderStatus> for OrderStatusDto {
    fn from(status: OrderStatus) -> Self {
        match status {
            OrderStatus::Created => Self::Created,
            OrderStatus::Sent => Self::Sent,
            OrderStatus::Delivered => Self::Delivered,
            OrderStatus::Cancelled => Self::Cancelled,
        }
    }
}

impl From<OrderStatusDto> for OrderStatus {
    fn from(status: OrderStatusDto) -> Self {
        match status {
            OrderStatusDto::Created => Self::Created,
            OrderStatusDto::Sent => Self::Sent,
            OrderStatusDto::Delivered => Self::Delivered,
            OrderStatusDto::Cancelled => Self::Cancelled,
        }
    }
}

impl From<TargetStatus> for OrderStatus {
    fn from(status: TargetStatus) -> Self {
        match status {
            TargetStatus::Sent => Self::Sent,
            TargetStatus::Delivered => Self::Delivered,
            TargetStatus::Cancelled => Self::Cancelled,
        }
    }
}

impl From<Order> for OrderDto {
    fn from(order: Order) -> Self {
        OrderDto {
            id: order.id,
            customer_id: order.customer_id,
            items: order
                .items
                .into_iter()
                .map(|i| OrderItemDto {
                    sku: i.sku.into(),
                    quantity: i.quantity,
                    unit_price_cents: i.unit_price_cents,
                })
                .collect(),
            total_cents: order.total_cents,
            // Orders are only ever taken in EUR (enforced when they are created).
            currency: Currency::EUR,
            status: order.status.into(),
            created_at: order.created_at,
            updated_at: order.updated_at,
        }
    }
}

impl From<OrderPage> for OrderPageDto {
    fn from(page: OrderPage) -> Self {
        OrderPageDto {
            items: page.orders.into_iter().map(Into::into).collect(),
            next_cursor: page.next_before,
        }
    }
}
