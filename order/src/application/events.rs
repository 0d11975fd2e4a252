//! Events the order service emits, and the port that carries them to the bus.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use shared::events::OrderSent;
use uuid::Uuid;

use super::dto::Order;

/// The `order.sent` event for an order that has just become `sent`.
pub fn order_sent(order: &Order, event_id: Uuid, occurred_at: DateTime<Utc>) -> OrderSent {
    OrderSent::new(
        event_id,
        occurred_at,
        order.id,
        order.customer_id.clone(),
        order.total_cents,
        order.currency.clone(),
    )
}

/// What the bus did with one published event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// At least one consumer received it.
    Delivered,
    /// The bus took it but no consumer was there to receive it, so it must be sent again.
    NoConsumer,
}

/// The bus could not be reached or refused the batch; nothing in it counts as delivered.
#[derive(Debug, thiserror::Error)]
#[error("event bus unavailable: {0}")]
pub struct PublishError(pub String);

/// Publishes events to the message bus.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait EventPublisher: Send + Sync {
    /// Publishes `events` in order and reports, for each, whether a consumer got it.
    ///
    /// # Errors
    /// [`PublishError`] when the bus is unreachable; the caller keeps every event for a retry.
    async fn publish(&self, events: &[OrderSent]) -> Result<Vec<Delivery>, PublishError>;
}
