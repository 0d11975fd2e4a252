//! The order service's own metrics and what each counts: their `# HELP` text on `/metrics`.

use checkout_runtime::telemetry::{MetricKind::*, describe_metrics};

/// Describes every metric the order service records beside the HTTP ones.
pub fn describe() {
    describe_metrics(&[
        (
            "orders_created_total",
            Counter,
            "Orders created (replays of an Idempotency-Key not counted)",
        ),
        (
            "order_status_changes_total",
            Counter,
            "Status changes of orders, by the status reached",
        ),
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
        (
            "events_acknowledged_total",
            Counter,
            "Acknowledgements of events by the voucher service, by outcome (pub/sub)",
        ),
        (
            "acks_rejected_total",
            Counter,
            "Messages on the acknowledgement channel that were not valid acknowledgements",
        ),
        ("outbox_backlog", Gauge, "Outbox events not yet delivered"),
        (
            "outbox_oldest_age_seconds",
            Gauge,
            "Age of the oldest outbox event not yet delivered, in seconds",
        ),
        (
            "order_insert_batch_size",
            Histogram,
            "New orders written per group-committed statement",
        ),
        (
            "order_status_change_batch_size",
            Histogram,
            "Status changes written per group-committed statement",
        ),
    ]);
}
