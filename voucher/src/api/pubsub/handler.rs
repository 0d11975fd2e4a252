use std::sync::Arc;

use checkout_bus::consume::{EntryHandler, Settled};
use checkout_contract::events::{AckOutcome, Event, EventAck, OrderEvent, OrderSent};
use checkout_contract::signing::EventVerifier;
use checkout_runtime::backoff::Backoff;
use checkout_runtime::error::Chain;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use uuid::Uuid;

use super::{sent_order::sent_order, usage::usage_news};
use crate::application::{
    ports::{RepositoryError, UsageOutcome},
    usecases::{IssueOutcome, IssueVoucher, IssueVoucherError, RecordUsage},
};

/// What became of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// Processed (voucher issued, already there, or not eligible); acknowledge it.
    Done(EventAck),
    /// Can never be processed; move it to the dead-letter stream with this reason. An
    /// authentic event that names itself (`event_id`) is acknowledged once dead-lettered.
    Poison { reason: String, event_id: Option<Uuid> },
    /// Not processed because the service is shutting down; leave it for redelivery.
    Interrupted,
}

/// The dead-letter reason of an event that is not the order service's: unsigned, signed by
/// an unknown key, forged or altered.
pub const BAD_SIGNATURE: &str = "bad_signature";

/// The use cases the order service's events lead to.
pub struct EventUseCases {
    /// `order.sent`: the order may earn a voucher.
    pub issue_voucher: Arc<IssueVoucher>,
    /// `order.placed`, `order.cancelled`, and `order.sent` of an order that used a voucher:
    /// what the order did with it.
    pub record_usage: RecordUsage,
}

/// Turns a message from the bus into what it means for vouchers. Only events sealed by a
/// trusted key are read. Waits out database outages (retrying with back-off, since retrying
/// is safe) and gives up on an event only when it cannot be read or keeps failing for
/// another reason `max_attempts` times.
pub struct EventHandler {
    use_cases: EventUseCases,
    events: Arc<EventVerifier>,
    max_attempts: u32,
    shutdown: CancellationToken,
}

impl EventHandler {
    pub fn new(
        use_cases: EventUseCases,
        events: Arc<EventVerifier>,
        max_attempts: u32,
        shutdown: CancellationToken,
    ) -> Self {
        Self {
            use_cases,
            events,
            max_attempts: max_attempts.max(1),
            shutdown,
        }
    }

    pub async fn handle(&self, message: &[u8]) -> Handled {
        let payload = match self.events.open(message) {
            Ok(payload) => payload,
            Err(reason) => {
                tracing::warn!(%reason, bytes = message.len(), "event refused: not signed by a trusted key");
                metrics::counter!("events_rejected_total", "reason" => BAD_SIGNATURE).increment(1);
                return Handled::Poison {
                    reason: BAD_SIGNATURE.to_owned(),
                    event_id: None,
                };
            }
        };
        let payload = payload.as_bytes();
        let event = match OrderEvent::from_json(payload) {
            Ok(event) => event,
            Err(reason) => {
                let excerpt = String::from_utf8_lossy(&payload[..payload.len().min(256)]).into_owned();
                tracing::warn!(%reason, payload = %excerpt, "event cannot be read");
                return Handled::Poison {
                    reason: reason.to_string(),
                    event_id: event_id_of(payload),
                };
            }
        };
        let trace = event.trace();
        let span = tracing::info_span!(
            "order_event",
            event_type = event.event_type(),
            event_id = %event.event_id(),
            order_id = %event.order_id(),
            request_id = trace.request_id.as_deref(),
            trace_id = trace.trace_id(),
        );
        self.process(&event).instrument(span).await
    }

    /// Handles an event whose delivery was given up on (`reason`): its id is read, if the
    /// event is authentic, so that it can be acknowledged once dead-lettered.
    pub fn give_up(&self, message: &[u8], reason: String) -> Handled {
        let event_id = self.events.open(message).ok().and_then(|p| event_id_of(p.as_bytes()));
        Handled::Poison { reason, event_id }
    }

    async fn process(&self, event: &OrderEvent) -> Handled {
        let mut backoff = Backoff::default();
        let mut failures = 0;
        loop {
            let failure = match self.attempt(event).await {
                Ok(handled) => return handled,
                Err(failure) => failure,
            };
            let pause = backoff.next_delay();
            if let IssueVoucherError::Repository(RepositoryError::Unavailable(_)) = failure {
                // Waiting out an outage does not count against the event.
                tracing::warn!(error.message = %Chain(&failure), retry_in = ?pause, "database unavailable; will retry the event");
            } else {
                failures += 1;
                tracing::error!(error.message = %Chain(&failure), failures, retry_in = ?pause, "event processing failed");
                if failures >= self.max_attempts {
                    return Handled::Poison {
                        reason: format!("failed {failures} times: {}", Chain(&failure)),
                        event_id: Some(event.event_id()),
                    };
                }
            }
            metrics::counter!("events_retried_total").increment(1);
            tokio::select! {
                _ = self.shutdown.cancelled() => return Handled::Interrupted,
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }
}

impl EventHandler {
    /// One try at `event`: what an order did with its voucher first (a sent order spends it),
    /// then whether a sent order earns one. `Err` with a failure worth retrying; each step is
    /// idempotent, so a retry after a partial success changes nothing twice.
    async fn attempt(&self, event: &OrderEvent) -> Result<Handled, IssueVoucherError> {
        let event_id = event.event_id();
        if let Some(news) = usage_news(event) {
            let poison = |reason: String| {
                tracing::warn!(%reason, "event cannot be processed");
                Ok(Handled::Poison {
                    reason,
                    event_id: Some(event_id),
                })
            };
            let news = match news {
                Ok(news) => news,
                Err(invalid) => return poison(format!("the event's customer_id {invalid}")),
            };
            match self.use_cases.record_usage.execute(&news).await? {
                UsageOutcome::Recorded | UsageOutcome::AlreadyRecorded => {}
                UsageOutcome::UnknownVoucher => {
                    return poison(format!(
                        "voucher {} of customer {} is not known here",
                        news.voucher_id, news.customer_id
                    ));
                }
            }
        }
        let OrderEvent::Sent(sent) = event else {
            metrics::counter!("events_consumed_total", "outcome" => AckOutcome::Recorded.as_str()).increment(1);
            return Ok(Handled::Done(EventAck {
                event_id,
                outcome: AckOutcome::Recorded,
            }));
        };
        handled(event_id, self.issue(sent).await)
    }

    async fn issue(&self, event: &OrderSent) -> Result<IssueOutcome, IssueVoucherError> {
        let issue_voucher = &self.use_cases.issue_voucher;
        match sent_order(event) {
            Ok(order) => issue_voucher.execute(&order, &event.trace()).await,
            Err(invalid) => issue_voucher.refuse(&invalid),
        }
    }
}

/// What the stream consumer needs of the handler: the same handling, with the entry
/// acknowledged once settled.
#[async_trait::async_trait]
impl EntryHandler for EventHandler {
    async fn handle(&self, payload: &[u8]) -> Settled {
        settled(EventHandler::handle(self, payload).await)
    }

    fn give_up(&self, payload: &[u8], reason: String) -> Settled {
        settled(EventHandler::give_up(self, payload, reason))
    }
}

fn settled(handled: Handled) -> Settled {
    match handled {
        Handled::Done(_) => Settled::Done,
        Handled::Poison { reason, .. } => Settled::Poison { reason },
        Handled::Interrupted => Settled::Interrupted,
    }
}

/// The `event_id` of an authentic payload that does not parse as this build's event (a
/// newer schema, say), so that it can still be acknowledged.
fn event_id_of(payload: &[u8]) -> Option<Uuid> {
    #[derive(serde::Deserialize)]
    struct Named {
        event_id: Uuid,
    }
    serde_json::from_slice::<Named>(payload)
        .ok()
        .map(|named| named.event_id)
}

/// What the use case's `result` settles for the event `event_id`: processed, or never
/// processable; `Err` with a failure worth retrying.
fn handled(event_id: Uuid, result: Result<IssueOutcome, IssueVoucherError>) -> Result<Handled, IssueVoucherError> {
    match result {
        Ok(outcome) => {
            let outcome = match outcome {
                IssueOutcome::Issued(_) => AckOutcome::Issued,
                IssueOutcome::AlreadyIssued => AckOutcome::AlreadyIssued,
                IssueOutcome::NotEligible(_) => AckOutcome::NotEligible,
            };
            metrics::counter!("events_consumed_total", "outcome" => outcome.as_str()).increment(1);
            Ok(Handled::Done(EventAck { event_id, outcome }))
        }
        Err(e @ IssueVoucherError::InvalidCustomer(_)) => {
            tracing::warn!(error.message = %Chain(&e), "event cannot be processed");
            Ok(Handled::Poison {
                reason: Chain(&e).to_string(),
                event_id: Some(event_id),
            })
        }
        Err(e) => Err(e),
    }
}
