//! Request and response bodies. Their doc comments are the OpenAPI text; their rules are the
//! domain's, published in the document by [`super::rules`] and checked when a body is turned
//! into domain values here.

use checkout_http::{JsonBody, Violations, rfc3339};
use chrono::{DateTime, Utc};
use poem_openapi::{Enum, Object, types::Example};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::rules;
use crate::application::{
    domain::{self, CustomerId, ItemCount, Order, OrderItem, OrderPage, OrderStatus, Quantity, Sku, UnitPrice},
    usecases::NewOrder,
};

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

/// A status an order can be moved to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Deserialize)]
#[oai(rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum TargetStatus {
    Sent,
    Delivered,
    Cancelled,
}

/// One line of an order.
#[derive(Debug, Clone, Object, Deserialize, Serialize)]
#[oai(example)]
#[serde(deny_unknown_fields)]
pub struct OrderItemDto {
    /// Stock-keeping unit of the product.
    pub sku: String,
    /// How many units.
    pub quantity: i64,
    /// Price of one unit in cents (6000 is 60.00 EUR).
    pub unit_price_cents: i64,
}

/// A new order. The total is computed by the server from the items.
#[derive(Debug, Object, Deserialize)]
#[oai(example)]
#[serde(deny_unknown_fields)]
pub struct CreateOrderRequest {
    /// The customer placing the order: a customer's token may name only its own subject.
    pub customer_id: String,
    /// The lines of the order, each a product, a quantity and a unit price.
    pub items: Vec<OrderItemDto>,
    /// Defaults to EUR (also when null), the only currency accepted.
    #[oai(nullable)]
    #[serde(default)]
    pub currency: Option<Currency>,
}

impl JsonBody for CreateOrderRequest {
    fn rule(field: &str) -> Option<String> {
        rules::rule(field)
    }
}

/// The status to move an order to.
#[derive(Debug, Object, Deserialize)]
#[oai(example)]
#[serde(deny_unknown_fields)]
pub struct UpdateStatusRequest {
    /// `sent` (from `created`; publishes `order.sent`), `delivered` (from `sent`) or
    /// `cancelled` (from `created`).
    pub status: TargetStatus,
}

impl JsonBody for UpdateStatusRequest {
    fn rule(field: &str) -> Option<String> {
        rules::rule(field)
    }
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
    pub total_cents: i64,
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

/// A page of orders, newest first.
#[derive(Debug, Object, Serialize)]
#[oai(example)]
pub struct OrderPageDto {
    /// Up to `limit` orders, newest first.
    pub items: Vec<OrderDto>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<Uuid>,
}

/// The id the examples of the document share.
const EXAMPLE_ID: Uuid = Uuid::from_u128(0x0193_a5c2_7f4e_7b21_9c3d_2f6e_8a1b_4c5d);

fn example_items() -> Vec<OrderItemDto> {
    vec![
        OrderItemDto {
            sku: "BOOK-1".into(),
            quantity: 2,
            unit_price_cents: 6000,
        },
        OrderItemDto {
            sku: "MUG-3".into(),
            quantity: 1,
            unit_price_cents: 1250,
        },
    ]
}

impl Example for OrderItemDto {
    fn example() -> Self {
        example_items().remove(0)
    }
}

impl Example for CreateOrderRequest {
    fn example() -> Self {
        Self {
            customer_id: "alice".into(),
            items: example_items(),
            currency: Some(Currency::EUR),
        }
    }
}

impl Example for UpdateStatusRequest {
    fn example() -> Self {
        Self {
            status: TargetStatus::Sent,
        }
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
            total_cents: 13_250,
            currency: Currency::EUR,
            status: OrderStatusDto::Created,
            created_at,
            updated_at: created_at,
        }
    }
}

impl Example for OrderPageDto {
    fn example() -> Self {
        Self {
            items: vec![OrderDto::example()],
            next_cursor: Some(EXAMPLE_ID),
        }
    }
}

impl CreateOrderRequest {
    /// The order the domain would take; every field that breaks one of its rules is
    /// recorded in `violations` (as `items[2].quantity`), and then there is no order.
    pub fn into_new_order(self, violations: &mut Violations) -> Option<NewOrder> {
        let customer_id = violations.check("customer_id", CustomerId::parse(self.customer_id));
        let count = violations.check("items", ItemCount::check(self.items.len()));
        let items: Option<Vec<OrderItem>> = self
            .items
            .into_iter()
            .enumerate()
            .map(|(i, item)| {
                let sku = violations.check(format!("items[{i}].sku"), Sku::parse(item.sku));
                let quantity = violations.check(format!("items[{i}].quantity"), Quantity::new(item.quantity));
                let unit_price = violations.check(
                    format!("items[{i}].unit_price_cents"),
                    UnitPrice::new(item.unit_price_cents),
                );
                Some(OrderItem {
                    sku: sku?,
                    quantity: quantity?,
                    unit_price: unit_price?,
                })
            })
            // Every item is checked, not only those up to the first broken one.
            .collect::<Vec<_>>()
            .into_iter()
            .collect();
        count?;
        Some(NewOrder {
            customer_id: customer_id?,
            items: items?,
            currency: match self.currency {
                None | Some(Currency::EUR) => domain::Currency::Eur,
            },
        })
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

impl From<TargetStatus> for OrderStatus {
    fn from(status: TargetStatus) -> Self {
        match status {
            TargetStatus::Sent => Self::Sent,
            TargetStatus::Delivered => Self::Delivered,
            TargetStatus::Cancelled => Self::Cancelled,
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
                    quantity: i64::from(i.quantity.get()),
                    unit_price_cents: i.unit_price.cents().get(),
                })
                .collect(),
            total_cents: order.total().amount.get(),
            currency: order.total().currency.into(),
            status: order.status().into(),
            created_at: order.created_at(),
            updated_at: order.updated_at(),
        }
    }
}

impl From<OrderPage> for OrderPageDto {
    fn from(page: OrderPage) -> Self {
        OrderPageDto {
            items: page.orders.into_iter().map(Into::into).collect(),
            next_cursor: page.next_before.map(|id| id.as_uuid()),
        }
    }
}

#[cfg(test)]
mod tests {
    use checkout_http::ApiError;

    use super::*;

    fn item(sku: &str, quantity: i64, unit_price_cents: i64) -> OrderItemDto {
        OrderItemDto {
            sku: sku.into(),
            quantity,
            unit_price_cents,
        }
    }

    fn violations_of(request: CreateOrderRequest) -> Vec<String> {
        let mut violations = Violations::default();
        assert!(request.into_new_order(&mut violations).is_none());
        match violations.finish().unwrap_err() {
            ApiError::BadRequest(problem) => problem.0.errors.iter().map(ToString::to_string).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn responses_are_the_same_json_through_serde_as_through_the_documents_types() {
        let order = OrderDto::example();
        checkout_testing::assert_same_json(&order);
        let last = OrderPageDto::example();
        checkout_testing::assert_same_json(&OrderPageDto {
            next_cursor: None,
            ..last
        });
        checkout_testing::assert_same_json(&OrderPageDto {
            items: vec![order],
            next_cursor: Some(EXAMPLE_ID),
        });
        let json = serde_json::to_string(&OrderDto::example()).unwrap();
        assert!(json.starts_with(r#"{"id":"#), "{json}");
    }

    #[test]
    fn every_broken_field_is_named_as_the_client_wrote_it() {
        let request = CreateOrderRequest {
            customer_id: " ".into(),
            items: vec![item("A", 1, 100), item("", 0, 100), item("C", 2, 0)],
            currency: None,
        };
        assert_eq!(
            violations_of(request),
            [
                "customer_id: must be 1 to 64 characters, not blank, without control characters",
                "items[1].sku: must be 1 to 64 characters, not blank, without control characters",
                "items[1].quantity: must be an integer from 1 to 1000",
                "items[2].unit_price_cents: must be an integer from 1 to 100000000 (cents)",
            ]
        );
    }

    #[test]
    fn an_order_without_items_is_refused() {
        let request = CreateOrderRequest {
            customer_id: "c".into(),
            items: Vec::new(),
            currency: None,
        };
        assert_eq!(violations_of(request), ["items: must hold 1 to 100 items"]);
    }

    #[test]
    fn the_examples_are_an_order_the_service_would_take_and_answer() {
        let mut violations = Violations::default();
        let order = CreateOrderRequest::example().into_new_order(&mut violations).unwrap();
        assert!(violations.finish().is_ok());
        let total: i64 = order
            .items
            .iter()
            .map(|i| i64::from(i.quantity.get()) * i.unit_price.cents().get())
            .sum();
        let answer = OrderDto::example();
        assert_eq!(answer.total_cents, total);
        assert_eq!(answer.items.len(), order.items.len());
    }

    #[test]
    fn a_valid_request_becomes_a_new_order_in_euros() {
        let request = CreateOrderRequest {
            customer_id: "c".into(),
            items: vec![item("A", 2, 150)],
            currency: Some(Currency::EUR),
        };
        let mut violations = Violations::default();
        let order = request.into_new_order(&mut violations).unwrap();
        assert!(violations.finish().is_ok());
        assert_eq!(order.currency, domain::Currency::Eur);
        assert_eq!(order.items[0].quantity.get(), 2);
    }
}
