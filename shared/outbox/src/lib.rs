//! The transactional outbox, as both services publish their events. A service stores each
//! event in its `outbox` table in the transaction that made it true; the relay
//! ([`RelayEvents`], driven by [`run_outbox_relay`]) publishes it, sealed, and marks it once
//! the bus (a stream entry) or the consumer (a pub/sub acknowledgement) confirmed it. A crash
//! anywhere in between leads to a re-publish, never to a loss: consumers absorb duplicates by
//! `event_id`.
//!
//! This crate holds the ports and the relay only. The adapters are
//! `checkout_db::outbox::SeaOrmOutbox` (the table) and the publishers of `checkout_bus`.
#![forbid(unsafe_code)]

mod ports;
mod relay;
mod worker;

pub use ports::{
    Backlog, Delivery, EventPublisher, OutboxRepository, PendingEvent, PublishError, RelaySignal, RetryPolicy,
};
#[cfg(any(test, feature = "mocks"))]
pub use ports::{MockEventPublisher, MockOutboxRepository, MockRelaySignal};
pub use relay::{NO_CONSUMER_RETRY, RelayEvents, RelayReport};
pub use worker::run_outbox_relay;

/// Describes the relay's metrics: their `# HELP` text on `/metrics`.
pub fn describe_metrics() {
    use checkout_runtime::telemetry::{MetricKind::*, describe_metrics};
    describe_metrics(&[
        ("events_published_total", Counter, "Outbox events published on the bus"),
        (
            "events_publish_retries_total",
            Counter,
            "Outbox events whose publication failed and will be retried",
        ),
        (
            "events_republished_total",
            Counter,
            "Outbox events published again after no acknowledgement came in time (pub/sub)",
        ),
        ("outbox_backlog", Gauge, "Outbox events not yet delivered"),
        (
            "outbox_oldest_age_seconds",
            Gauge,
            "Age of the oldest outbox event not yet delivered, in seconds",
        ),
    ]);
}
