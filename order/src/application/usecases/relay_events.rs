use std::{sync::Arc, time::Duration};

use uuid::Uuid;

use crate::application::ports::{Delivery, EventPublisher, OutboxRepository, RepositoryError};

/// What one relay round did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RelayReport {
    pub claimed: usize,
    pub published: usize,
    pub retried: usize,
}

/// Moves events from the outbox to the bus: claims a batch, publishes it, marks what a
/// consumer received as published and schedules the rest for a retry with back-off.
/// An event is only marked after the bus confirmed it, so a crash anywhere in between
/// leads to a re-publish (at-least-once); consumers absorb duplicates by `event_id`.
pub struct RelayEvents {
    outbox: Arc<dyn OutboxRepository>,
    publisher: Arc<dyn EventPublisher>,
    batch_size: u32,
    lease: Duration,
}

impl RelayEvents {
    pub fn new(
        outbox: Arc<dyn OutboxRepository>,
        publisher: Arc<dyn EventPublisher>,
        batch_size: u32,
        lease: Duration,
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
        let batch = self.outbox.claim_due(self.batch_size, self.lease).await?;
        if batch.is_empty() {
            return Ok(RelayReport::default());
        }
        let events: Vec<_> = batch.iter().map(|p| p.event.clone()).collect();
        let (mut published, mut retry): (Vec<Uuid>, Vec<Uuid>) = (Vec::new(), Vec::new());
        match self.publisher.publish(&events).await {
            Ok(deliveries) => {
                for (pending, delivery) in batch.iter().zip(deliveries) {
                    let event = &pending.event;
                    match delivery {
                        Delivery::Delivered => {
                            tracing::info!(
                                event_id = %event.event_id,
                                order_id = %event.order_id,
                                request_id = event.request_id.as_deref(),
                                trace_id = event.trace().trace_id(),
                                "event published"
                            );
                            published.push(event.event_id);
                        }
                        Delivery::NoConsumer => {
                            tracing::warn!(
                                event_id = %event.event_id, order_id = %event.order_id, attempts = pending.attempts,
                                "no consumer received the event; it will be published again"
                            );
                            retry.push(event.event_id);
                        }
                    }
                }
            }
            Err(e) => {
                tracing::warn!(
                    error.message = %shared::error::Chain(&e),
                    events = batch.len(),
                    "publishing failed; the batch will be retried"
                );
                retry.extend(events.iter().map(|e| e.event_id));
            }
        }
        if !published.is_empty() {
            self.outbox.mark_published(&published).await?;
            metrics::counter!("events_published_total").increment(published.len() as u64);
        }
        if !retry.is_empty() {
            self.outbox.retry_later(&retry).await?;
            metrics::counter!("events_publish_retries_total").increment(retry.len() as u64);
        }
        Ok(RelayReport {
            claimed: batch.len(),
            published: published.len(),
            retried: retry.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use shared::events::OrderSent;

    use super::*;
    use crate::application::ports::{MockEventPublisher, MockOutboxRepository, PendingEvent, PublishError};

    fn pending(n: usize) -> Vec<PendingEvent> {
        (0..n)
            .map(|_| PendingEvent {
                event: OrderSent::new(
                    Uuid::now_v7(),
                    Utc::now(),
                    Uuid::now_v7(),
                    "c".into(),
                    20_000,
                    "EUR".into(),
                ),
                attempts: 1,
            })
            .collect()
    }

    fn relay(outbox: MockOutboxRepository, publisher: MockEventPublisher) -> RelayEvents {
        RelayEvents::new(Arc::new(outbox), Arc::new(publisher), 10, Duration::from_secs(30))
    }

    #[tokio::test]
    async fn delivered_events_are_marked_and_the_rest_retried() {
        let batch = pending(3);
        let ids: Vec<_> = batch.iter().map(|p| p.event.event_id).collect();
        let mut outbox = MockOutboxRepository::new();
        outbox
            .expect_claim_due()
            .times(1)
            .returning(move |_, _| Ok(batch.clone()));
        let (a, b, c) = (ids[0], ids[1], ids[2]);
        outbox
            .expect_mark_published()
            .withf(move |ids| ids == [a, c])
            .times(1)
            .returning(|_| Ok(()));
        outbox
            .expect_retry_later()
            .withf(move |ids| ids == [b])
            .times(1)
            .returning(|_| Ok(()));
        let mut publisher = MockEventPublisher::new();
        publisher
            .expect_publish()
            .withf(|events| events.len() == 3)
            .returning(|_| Ok(vec![Delivery::Delivered, Delivery::NoConsumer, Delivery::Delivered]));
        let report = relay(outbox, publisher).run_once().await.unwrap();
        assert_eq!(
            report,
            RelayReport {
                claimed: 3,
                published: 2,
                retried: 1
            }
        );
    }

    #[tokio::test]
    async fn a_bus_failure_marks_nothing_and_retries_the_batch() {
        let batch = pending(2);
        let ids: Vec<_> = batch.iter().map(|p| p.event.event_id).collect();
        let mut outbox = MockOutboxRepository::new();
        outbox.expect_claim_due().returning(move |_, _| Ok(batch.clone()));
        outbox.expect_mark_published().never();
        outbox
            .expect_retry_later()
            .withf(move |got| got == ids)
            .times(1)
            .returning(|_| Ok(()));
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
