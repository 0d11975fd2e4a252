//! The consumer side of `voucher.issued`: each entry of the stream is opened with the voucher
//! service's keys, read into the domain's [`Voucher`] here, at the edge, and recorded.

use std::sync::Arc;

use checkout_bus::consume::{EntryHandler, Settled};
use checkout_contract::events::{Event, VoucherIssued};
use checkout_contract::signing::EventVerifier;
use checkout_runtime::backoff::Backoff;
use checkout_runtime::error::Chain;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::application::{domain::Voucher, ports::RepositoryError, usecases::RecordVoucher};

/// An event that keeps failing for another reason than an outage is given up on after this
/// many attempts (and dead-lettered).
const MAX_ATTEMPTS: u32 = 5;

/// The dead-letter reason of an entry that is not the voucher service's.
pub const BAD_SIGNATURE: &str = "bad_signature";

/// Records the vouchers the voucher service announces. Only entries sealed by one of its
/// keys are read (the order service's own key is not among them); database outages are
/// waited out, since recording again is harmless.
pub struct VoucherIssuedHandler {
    record: RecordVoucher,
    keys: Arc<EventVerifier>,
    shutdown: CancellationToken,
}

impl VoucherIssuedHandler {
    pub fn new(record: RecordVoucher, keys: Arc<EventVerifier>, shutdown: CancellationToken) -> Self {
        Self { record, keys, shutdown }
    }

    async fn process(&self, voucher: &Voucher) -> Settled {
        let mut backoff = Backoff::default();
        let mut failures = 0;
        loop {
            let failure = match self.record.execute(voucher).await {
                Ok(_) => {
                    metrics::counter!("voucher_events_consumed_total").increment(1);
                    return Settled::Done;
                }
                Err(failure) => failure,
            };
            let pause = backoff.next_delay();
            if let RepositoryError::Unavailable(_) = failure {
                tracing::warn!(error.message = %Chain(&failure), retry_in = ?pause, "database unavailable; will retry the event");
            } else {
                failures += 1;
                tracing::error!(error.message = %Chain(&failure), failures, retry_in = ?pause, "recording a voucher failed");
                if failures >= MAX_ATTEMPTS {
                    return Settled::Poison {
                        reason: format!("failed {failures} times: {}", Chain(&failure)),
                    };
                }
            }
            tokio::select! {
                _ = self.shutdown.cancelled() => return Settled::Interrupted,
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }
}

/// The voucher an event announces, or the rule it breaks.
fn voucher(event: &VoucherIssued) -> Result<Voucher, crate::application::domain::InvalidVoucher> {
    Voucher::parse(
        event.voucher_id,
        event.code_digest.clone(),
        event.customer_id.clone(),
        event.amount_cents,
        &event.currency,
        event.occurred_at,
        event.expires_at,
    )
}

#[async_trait::async_trait]
impl EntryHandler for VoucherIssuedHandler {
    async fn handle(&self, payload: &[u8]) -> Settled {
        let opened = match self.keys.open(payload) {
            Ok(opened) => opened,
            Err(reason) => {
                tracing::warn!(%reason, bytes = payload.len(), "voucher event refused: not signed by the voucher service");
                metrics::counter!("events_rejected_total", "reason" => BAD_SIGNATURE).increment(1);
                return Settled::Poison {
                    reason: BAD_SIGNATURE.to_owned(),
                };
            }
        };
        let event = match VoucherIssued::from_json(opened.as_bytes()) {
            Ok(event) => event,
            Err(reason) => {
                tracing::warn!(%reason, "voucher event cannot be read");
                return Settled::Poison {
                    reason: reason.to_string(),
                };
            }
        };
        let trace = event.trace();
        let span = tracing::info_span!(
            "voucher_issued",
            event_id = %event.event_id,
            voucher_id = %event.voucher_id,
            request_id = trace.request_id.as_deref(),
            trace_id = trace.trace_id(),
        );
        async {
            match voucher(&event) {
                Ok(voucher) => self.process(&voucher).await,
                Err(rule) => {
                    tracing::warn!(error.message = %rule, "voucher event breaks a rule; it can never be recorded");
                    Settled::Poison {
                        reason: format!("voucher.issued {}", rule),
                    }
                }
            }
        }
        .instrument(span)
        .await
    }

    fn give_up(&self, _payload: &[u8], reason: String) -> Settled {
        Settled::Poison { reason }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use uuid::Uuid;

    use super::*;

    fn event(amount_cents: i64) -> VoucherIssued {
        VoucherIssued {
            event_id: Uuid::now_v7(),
            event_type: "voucher.issued".into(),
            schema_version: 1,
            occurred_at: Utc::now(),
            voucher_id: Uuid::now_v7(),
            code_digest: "0f".repeat(32),
            customer_id: "alice".into(),
            amount_cents,
            currency: "EUR".into(),
            expires_at: Utc::now() + chrono::Duration::days(90),
            order_id: Uuid::now_v7(),
            request_id: None,
            traceparent: None,
        }
    }

    #[test]
    fn an_event_becomes_the_voucher_it_announces() {
        let event = event(500);
        let voucher = voucher(&event).unwrap();
        assert_eq!(voucher.id, event.voucher_id);
        assert_eq!(voucher.code_digest, event.code_digest);
        assert_eq!(voucher.value.amount.get(), 500);
        assert_eq!(
            (voucher.issued_at, voucher.expires_at),
            (event.occurred_at, event.expires_at)
        );
    }

    #[test]
    fn an_event_that_breaks_a_rule_names_it() {
        assert!(matches!(
            voucher(&event(0)),
            Err(crate::application::domain::InvalidVoucher::Amount(_))
        ));
    }
}
