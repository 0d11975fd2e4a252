use std::sync::Arc;

use checkout_contract::events::EventAck;

use crate::application::ports::{OutboxRepository, RepositoryError};

/// Records the voucher service's acknowledgements (pub/sub transport): an acknowledged event
/// has been processed, so the relay stops publishing it. Every order instance hears every
/// acknowledgement; marking is idempotent, so they may all record it.
pub struct AcknowledgeEvents {
    outbox: Arc<dyn OutboxRepository>,
}

impl AcknowledgeEvents {
    pub fn new(outbox: Arc<dyn OutboxRepository>) -> Self {
        Self { outbox }
    }

    /// Marks the acknowledged events delivered, in one write.
    ///
    /// # Errors
    /// [`RepositoryError`]; the events then stay unmarked and are published again after the
    /// acknowledgement timeout, and acknowledged again (harmlessly).
    pub async fn execute(&self, acks: &[EventAck]) -> Result<(), RepositoryError> {
        if acks.is_empty() {
            return Ok(());
        }
        let ids: Vec<_> = acks.iter().map(|ack| ack.event_id).collect();
        self.outbox.mark_published(&ids).await?;
        for ack in acks {
            tracing::debug!(event_id = %ack.event_id, outcome = ack.outcome.as_str(), "event acknowledged");
            metrics::counter!("events_acknowledged_total", "outcome" => ack.outcome.as_str()).increment(1);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use checkout_contract::events::AckOutcome;
    use uuid::Uuid;

    use super::*;
    use crate::application::ports::MockOutboxRepository;

    fn ack(outcome: AckOutcome) -> EventAck {
        EventAck {
            event_id: Uuid::now_v7(),
            outcome,
        }
    }

    #[tokio::test]
    async fn acknowledged_events_are_marked_delivered_in_one_write() {
        let acks = [
            ack(AckOutcome::Issued),
            ack(AckOutcome::NotEligible),
            ack(AckOutcome::DeadLettered),
        ];
        let ids: Vec<_> = acks.iter().map(|a| a.event_id).collect();
        let mut outbox = MockOutboxRepository::new();
        outbox
            .expect_mark_published()
            .withf(move |got| got == ids)
            .times(1)
            .returning(|_| Ok(()));
        AcknowledgeEvents::new(Arc::new(outbox)).execute(&acks).await.unwrap();
    }

    #[tokio::test]
    async fn a_failed_write_is_reported_and_nothing_else_is_tried() {
        let mut outbox = MockOutboxRepository::new();
        outbox
            .expect_mark_published()
            .times(1)
            .returning(|_| Err(RepositoryError::Unavailable("down".into())));
        let result = AcknowledgeEvents::new(Arc::new(outbox))
            .execute(&[ack(AckOutcome::Issued)])
            .await;
        assert!(matches!(result, Err(RepositoryError::Unavailable(_))));
    }

    #[tokio::test]
    async fn no_acknowledgement_writes_nothing() {
        let mut outbox = MockOutboxRepository::new();
        outbox.expect_mark_published().never();
        AcknowledgeEvents::new(Arc::new(outbox)).execute(&[]).await.unwrap();
    }
}
