//! The order service's own metrics and what each counts: their `# HELP` text on `/metrics`.

use checkout_runtime::telemetry::{MetricKind::*, describe_metrics};

/// Describes every metric the order service records beside the HTTP ones (and the outbox
/// relay's, which `checkout_outbox::describe_metrics` describes).
pub fn describe() {
    checkout_outbox::describe_metrics();
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
        (
            "voucher_events_consumed_total",
            Counter,
            "voucher.issued events recorded (new or already known)",
        ),
        (
            "vouchers_known_total",
            Counter,
            "Vouchers added to this service's copy, spendable at checkout",
        ),
        (
            "events_rejected_total",
            Counter,
            "voucher.issued events refused before processing, by reason (bad_signature)",
        ),
        (
            "events_dead_lettered_total",
            Counter,
            "voucher.issued events set aside on the dead-letter stream",
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
