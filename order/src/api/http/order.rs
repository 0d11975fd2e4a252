//! An order as every operation answers it, and the order id as a parameter.

use checkout_http::{Rule, rfc3339, uuid_schema};
use chrono::{DateTime, Utc};
use poem_openapi::{Enum, Object, registry::MetaSchema, types::Example};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::application::domain::{self, Order, OrderStatus};

/// The id the examples of the document share.
pub const EXAMPLE_ID: Uuid = Uuid::from_u128(0x0193_a5c2_7f4e_7b21_9c3d_2f6e_8a1b_4c5d);

/// An order's id as a path or query parameter: read as text, checked by the domain.
pub enum OrderIdParam {}

impl Rule for OrderIdParam {
    type Value = String;

    fn schema() -> MetaSchema {
        uuid_schema(&EXAMPLE_ID.to_string())
    }
}

/// Currencies orders are accepted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Deserialize, Serialize)]
pub enum Currency {
    #[allow(clippy::upper_case_acronyms)]
    EUR,
}

/// Where an order is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize)]
#[oai(rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum OrderStatusDto {
    Created,
    Sent,
    Delivered,
    Cancelled,
}

/// One line of an order: the product, and its name and price when the order was created
/// (later changes of the catalog do not change an order).
#[derive(Debug, Clone, Object, Serialize)]
#[oai(example)]
pub struct OrderItemDto {
    /// Stock-keeping unit of the product.
    pub sku: String,
    /// The product's name when the order was created.
    pub name: String,
    /// How many units.
    pub quantity: i64,
    /// Price of one unit in cents when the order was created (6000 is 60.00 EUR).
    pub unit_price_cents: i64,
}

/// An order.
#[derive(Debug, Object, Serialize)]
#[oai(example)]
pub struct OrderDto {
    /// The order's id (a UUIDv7: ids sort by creation time).
    pub id: Uuid,
    /// The customer the order is for.
    pub customer_id: String,
    /// The lines of the order, as created.
    pub items: Vec<OrderItemDto>,
    /// Sum of quantity times unit price over the items, in cents.
    pub subtotal_cents: i64,
    /// What the order's voucher takes off the subtotal (its amount, at most the subtotal);
    /// 0 without a voucher.
    pub discount_cents: i64,
    /// What the customer pays: `subtotal_cents - discount_cents`. The voucher service's
    /// earning rule reads this amount.
    pub total_cents: i64,
    /// The voucher the order spends: held while the order is `created`, spent once it is
    /// `sent`, given back if it is `cancelled`; null without one.
    #[oai(nullable)]
    pub voucher_id: Option<Uuid>,
    /// The currency of every amount of the order.
    pub currency: Currency,
    /// Where the order is in its lifecycle.
    pub status: OrderStatusDto,
    /// When the order was created.
    #[serde(serialize_with = "rfc3339::serialize")]
    pub created_at: DateTime<Utc>,
    /// When its status last changed (its creation time until then).
    #[serde(serialize_with = "rfc3339::serialize")]
    pub updated_at: DateTime<Utc>,
}

/// The lines of the examples, priced from the sample catalog: 2 x 60.00 + 12.50 = 132.50 EUR.
pub fn example_items() -> Vec<OrderItemDto> {
    let line = |sku: &str, name: &str, quantity, unit_price_cents| OrderItemDto {
        sku: sku.into(),
        name: name.into(),
        quantity,
        unit_price_cents,
    };
    vec![
        line("BOOK-1", "The Rust Programming Language", 2, 6000),
        line("MUG-3", "Enamel mug", 1, 1250),
    ]
}

impl Example for OrderItemDto {
    fn example() -> Self {
        example_items().remove(0)
    }
}

impl Example for OrderDto {
    fn example() -> Self {
        let created_at = DateTime::parse_from_rfc3339("2026-11-23T18:40:00.123456Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        Self {
            id: EXAMPLE_ID,
            customer_id: "alice".into(),
            items: example_items(),
            subtotal_cents: 13_250,
            discount_cents: 500,
            total_cents: 12_750,
            voucher_id: Some(Uuid::from_u128(0x0193_a5c2_7f4e_7b21_9c3d_2f6e_8a1b_4c6e)),
            currency: Currency::EUR,
            status: OrderStatusDto::Created,
            created_at,
            updated_at: created_at,
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

impl From<domain::Currency> for Currency {
    fn from(currency: domain::Currency) -> Self {
        match currency {
            domain::Currency::Eur => Self::EUR,
        }
    }
}

impl From<Order> for OrderDto {
    fn from(order: Order) -> Self {
        OrderDto {
            id: order.id().as_uuid(),
            customer_id: order.customer_id().as_str().to_owned(),
            items: order
                .items()
                .iter()
                .map(|i| OrderItemDto {
                    sku: i.sku.as_str().to_owned(),
                    name: i.name.as_str().to_owned(),
                    quantity: i64::from(i.quantity.get()),
                    unit_price_cents: i.unit_price.cents().get(),
                })
                .collect(),
            subtotal_cents: order.subtotal().amount.get(),
            discount_cents: order.discount().amount.get(),
            total_cents: order.total().amount.get(),
            voucher_id: order.voucher().map(|v| v.id),
            currency: order.total().currency.into(),
            status: order.status().into(),
            created_at: order.created_at(),
            updated_at: order.updated_at(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_is_the_same_json_through_serde_as_through_the_documents_types() {
        checkout_testing::assert_same_json(&OrderDto::example());
        let json = serde_json::to_string(&OrderDto::example()).unwrap();
        assert!(json.starts_with(r#"{"id":"#), "{json}");
    }
}
