use std::{sync::Arc, time::Duration};

use uuid::Uuid;

use checkout_runtime::RepositoryError;

use crate::ports::{Delivery, EventPublisher, OutboxRepository, PendingEvent, RetryPolicy};

/// What one relay round did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RelayReport {
    pub claimed: usize,
    /// Marked delivered (the bus holds them durably).
    pub published: usize,
    /// Heard by a consumer; waiting for its acknowledgement.
    pub awaiting_ack: usize,
    /// Not received by anyone; scheduled for another attempt.
    pub retried: usize,
}

/// Back-off of events published while no consumer listened, or while the bus was down.
pub const NO_CONSUMER_RETRY: RetryPolicy = RetryPolicy {
    first: Duration::from_millis(100),
    max: Duration::from_secs(5),
};

/// Moves events from the outbox to the bus: claims a batch, publishes it, marks what the bus
/// holds durably as published, leaves what a consumer heard waiting for its acknowledgement
/// and schedules what nobody heard for a retry with back-off. An event is only marked after
/// the bus or the consumer confirmed it, so a crash anywhere in between leads to a re-publish
/// (at-least-once); consumers absorb duplicates by `event_id`.
///
/// The claim itself schedules the next publication (`lease`): with pub/sub that is the wait
/// for the acknowledgement, so an event a consumer heard costs no write between its claim
/// and its acknowledgement.
pub struct RelayEvents {
    outbox: Arc<dyn OutboxRepository>,
    publisher: Arc<dyn EventPublisher>,
    batch_size: u32,
    lease: RetryPolicy,
}

impl RelayEvents {
    /// `lease`: when a claimed event is published again if nothing confirms it: for a
    /// transport whose consumer acknowledges, [`RetryPolicy::acknowledgement`] of its timeout;
    /// for a durable one, [`RetryPolicy::fixed`], long enough to publish a batch.
    pub fn new(
        outbox: Arc<dyn OutboxRepository>,
        publisher: Arc<dyn EventPublisher>,
        batch_size: u32,
        lease: RetryPolicy,
    ) -> Self {
        Self {
            outbox,
            publisher,
            batch_size,
            lease,
        }
    }

    pub fn batch_size(&self) -> u32 {
        self.batch_size
    }

    /// Publishes the outbox backlog as gauges: `outbox_backlog` (unpublished events) and
    /// `outbox_oldest_age_seconds` (age of the oldest of them, 0 when there is none).
    ///
    /// # Errors
    /// [`RepositoryError`] when the outbox cannot be read.
    pub async fn report_backlog(&self) -> Result<(), RepositoryError> {
        let backlog = self.outbox.backlog().await?;
        metrics::gauge!("outbox_backlog").set(backlog.events as f64);
        metrics::gauge!("outbox_oldest_age_seconds").set(backlog.oldest_age.map_or(0.0, |age| age.as_secs_f64()));
        Ok(())
    }

    /// Runs one round.
    ///
    /// # Errors
    /// [`RepositoryError`] when the outbox cannot be read or updated. A bus failure is not an
    /// error here: the batch is scheduled for a retry and reported as `retried`.
    pub async fn run_once(&self) -> Result<RelayReport, RepositoryError> {
        // Claimed, each event is due again after the lease: what a consumer heard needs no
        // further write unless its acknowledgement comes.
        let batch = self.outbox.claim_due(self.batch_size, self.lease).await?;
        if batch.is_empty() {
            return Ok(RelayReport::default());
        }
        let (mut published, mut awaiting, mut retry): (Vec<Uuid>, usize, Vec<Uuid>) = Default::default();
        match self.publisher.publish(&batch).await {
            Ok(deliveries) => {
                for (pending, delivery) in batch.iter().zip(deliveries) {
                    log_delivery(pending, delivery);
                    match delivery {
                        Delivery::Delivered => published.push(pending.event_id),
                        Delivery::AwaitingAck => awaiting += 1,
                        Delivery::NoConsumer => retry.push(pending.event_id),
                    }
                }
            }
            Err(e) => {
                tracing::warn!(
                    error.message = %checkout_runtime::error::Chain(&e),
                    events = batch.len(),
                    "publishing failed; the batch will be retried"
                );
                retry.extend(batch.iter().map(|e| e.event_id));
            }
        }
        if !published.is_empty() {
            self.outbox.mark_published(&published).await?;
            metrics::counter!("events_published_total").increment(published.len() as u64);
        }
        if !retry.is_empty() {
            self.outbox.retry_later(&retry, NO_CONSUMER_RETRY).await?;
            metrics::counter!("events_publish_retries_total").increment(retry.len() as u64);
        }
        Ok(RelayReport {
            claimed: batch.len(),
            published: published.len(),
            awaiting_ack: awaiting,
            retried: retry.len(),
        })
    }
}

fn log_delivery(event: &PendingEvent, delivery: Delivery) {
    match delivery {
        Delivery::Delivered | Delivery::AwaitingAck if event.attempts > 1 => {
            metrics::counter!("events_republished_total").increment(1);
            tracing::info!(
                event_id = %event.event_id,
                event_type = %event.event_type,
                aggregate_id = %event.aggregate_id,
                attempts = event.attempts,
                "event published again (no earlier attempt was confirmed)"
            );
        }
        Delivery::Delivered | Delivery::AwaitingAck => tracing::info!(
            event_id = %event.event_id,
            event_type = %event.event_type,
            aggregate_id = %event.aggregate_id,
            request_id = event.trace.request_id.as_deref(),
            trace_id = event.trace.trace_id(),
            "event published"
        ),
        Delivery::NoConsumer => tracing::warn!(
            event_id = %event.event_id, event_type = %event.event_type, aggregate_id = %event.aggregate_id,
            attempts = event.attempts,
            "no consumer received the event; it will be published again"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{MockEventPublisher, MockOutboxRepository, PendingEvent, PublishError};

    fn pending(n: usize) -> Vec<PendingEvent> {
        (0..n)
            .map(|_| PendingEvent {
                event_id: Uuid::now_v7(),
                event_type: "order.sent".into(),
                aggregate_id: Uuid::now_v7(),
                payload: "{}".into(),
                trace: Default::default(),
                attempts: 1,
            })
            .collect()
    }

    fn relay(outbox: MockOutboxRepository, publisher: MockEventPublisher) -> RelayEvents {
        RelayEvents::new(
            Arc::new(outbox),
            Arc::new(publisher),
            10,
            RetryPolicy::acknowledgement(Duration::from_secs(2)),
        )
    }

    #[tokio::test]
    async fn durable_events_are_marked_heard_ones_await_their_ack_unwritten_and_unheard_ones_are_retried() {
        let batch = pending(4);
        let ids: Vec<_> = batch.iter().map(|p| p.event_id).collect();
        let mut outbox = MockOutboxRepository::new();
        outbox
            .expect_claim_due()
            .withf(|limit, lease| *limit == 10 && *lease == RetryPolicy::acknowledgement(Duration::from_secs(2)))
            .times(1)
            .returning(move |_, _| Ok(batch.clone()));
        let (a, c) = (ids[0], ids[2]);
        outbox
            .expect_mark_published()
            .withf(move |ids| ids == [a])
            .times(1)
            .returning(|_| Ok(()));
        outbox
            .expect_retry_later()
            .withf(move |ids, policy| ids == [c] && *policy == NO_CONSUMER_RETRY)
            .times(1)
            .returning(|_, _| Ok(()));
        let mut publisher = MockEventPublisher::new();
        publisher
            .expect_publish()
            .withf(|events| events.len() == 4)
            .returning(|_| {
                Ok(vec![
                    Delivery::Delivered,
                    Delivery::AwaitingAck,
                    Delivery::NoConsumer,
                    Delivery::AwaitingAck,
                ])
            });
        let report = relay(outbox, publisher).run_once().await.unwrap();
        assert_eq!(
            report,
            RelayReport {
                claimed: 4,
                published: 1,
                awaiting_ack: 2,
                retried: 1
            }
        );
    }

    #[test]
    fn the_wait_for_an_acknowledgement_grows_to_a_minute_or_the_timeout_if_longer() {
        let short = RetryPolicy::acknowledgement(Duration::from_secs(5));
        assert_eq!(
            (short.first, short.max),
            (Duration::from_secs(5), Duration::from_secs(60))
        );
        let long = RetryPolicy::acknowledgement(Duration::from_secs(90));
        assert_eq!(
            (long.first, long.max),
            (Duration::from_secs(90), Duration::from_secs(90))
        );
    }

    #[tokio::test]
    async fn a_bus_failure_marks_nothing_and_retries_the_batch() {
        let batch = pending(2);
        let ids: Vec<_> = batch.iter().map(|p| p.event_id).collect();
        let mut outbox = MockOutboxRepository::new();
        outbox.expect_claim_due().returning(move |_, _| Ok(batch.clone()));
        outbox.expect_mark_published().never();
        outbox
            .expect_retry_later()
            .withf(move |got, policy| got == ids && *policy == NO_CONSUMER_RETRY)
            .times(1)
            .returning(|_, _| Ok(()));
        let mut publisher = MockEventPublisher::new();
        publisher
            .expect_publish()
            .returning(|_| Err(PublishError("connection refused".into())));
        let report = relay(outbox, publisher).run_once().await.unwrap();
        assert_eq!(
            report,
            RelayReport {
                claimed: 2,
                published: 0,
                awaiting_ack: 0,
                retried: 2
            }
        );
    }

    #[tokio::test]
    async fn an_empty_outbox_publishes_nothing() {
        let mut outbox = MockOutboxRepository::new();
        outbox.expect_claim_due().returning(|_, _| Ok(Vec::new()));
        let mut publisher = MockEventPublisher::new();
        publisher.expect_publish().never();
        assert_eq!(
            relay(outbox, publisher).run_once().await.unwrap(),
            RelayReport::default()
        );
    }
}
