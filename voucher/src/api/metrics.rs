//! The voucher service's own metrics and what each counts: their `# HELP` text on `/metrics`.

use checkout_runtime::telemetry::{MetricKind::*, describe_metrics};

/// Describes every metric the voucher service records beside the HTTP ones (and the outbox
/// relay's, which `checkout_outbox::describe_metrics` describes).
pub fn describe() {
    checkout_outbox::describe_metrics();
    describe_metrics(&[
        ("vouchers_issued_total", Counter, "Vouchers issued"),
        (
            "voucher_usages_recorded_total",
            Counter,
            "What orders did with vouchers (reserved, released, redeemed), as first heard, by kind",
        ),
        (
            "events_consumed_total",
            Counter,
            "order.sent events processed, by outcome (issued, already issued, not eligible)",
        ),
        (
            "events_retried_total",
            Counter,
            "order.sent events whose processing failed and will be retried",
        ),
        (
            "events_rejected_total",
            Counter,
            "Events refused before processing, by reason (bad_signature)",
        ),
        (
            "events_dead_lettered_total",
            Counter,
            "Events set aside on the dead-letter stream",
        ),
        (
            "voucher_insert_batch_size",
            Histogram,
            "New vouchers written per group-committed statement",
        ),
        (
            "voucher_usage_insert_batch_size",
            Histogram,
            "Voucher history rows written per group-committed statement",
        ),
    ]);
}
