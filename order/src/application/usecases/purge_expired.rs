use std::{sync::Arc, time::Duration};

use crate::application::ports::{OrderRepository, OutboxRepository, RepositoryError};

/// What one purge removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Purged {
    pub outbox_events: u64,
    pub idempotency_keys: u64,
}

/// Keeps the bookkeeping tables bounded: published outbox events older than the retention
/// (kept until then for inspection and replay) and idempotency keys past their 24 hours.
pub struct PurgeExpired {
    outbox: Arc<dyn OutboxRepository>,
    orders: Arc<dyn OrderRepository>,
    outbox_retention: Duration,
}

impl PurgeExpired {
    pub fn new(
        outbox: Arc<dyn OutboxRepository>,
        orders: Arc<dyn OrderRepository>,
        outbox_retention: Duration,
    ) -> Self {
        Self {
            outbox,
            orders,
            outbox_retention,
        }
    }

    /// # Errors
    /// [`RepositoryError`]; what was deleted before the failure stays deleted.
    pub async fn run_once(&self) -> Result<Purged, RepositoryError> {
        let purged = Purged {
            outbox_events: self.outbox.purge_published(self.outbox_retention).await?,
            idempotency_keys: self.orders.purge_expired_keys().await?,
        };
        if purged != Purged::default() {
            tracing::info!(
                outbox_events = purged.outbox_events,
                idempotency_keys = purged.idempotency_keys,
                "purged expired bookkeeping rows"
            );
        }
        Ok(purged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::ports::{MockOrderRepository, MockOutboxRepository};

    #[tokio::test]
    async fn both_tables_are_purged_with_the_configured_retention() {
        let mut outbox = MockOutboxRepository::new();
        outbox
            .expect_purge_published()
            .withf(|retention| *retention == Duration::from_secs(7 * 24 * 3600))
            .times(1)
            .returning(|_| Ok(12));
        let mut keys = MockOrderRepository::new();
        keys.expect_purge_expired_keys().times(1).returning(|| Ok(3));
        let purge = PurgeExpired::new(Arc::new(outbox), Arc::new(keys), Duration::from_secs(7 * 24 * 3600));
        assert_eq!(
            purge.run_once().await.unwrap(),
            Purged {
                outbox_events: 12,
                idempotency_keys: 3
            }
        );
    }

    #[tokio::test]
    async fn a_failure_is_reported() {
        let mut outbox = MockOutboxRepository::new();
        outbox
            .expect_purge_published()
            .returning(|_| Err(RepositoryError::Unavailable("down".into())));
        let mut keys = MockOrderRepository::new();
        keys.expect_purge_expired_keys().never();
        let purge = PurgeExpired::new(Arc::new(outbox), Arc::new(keys), Duration::from_secs(60));
        assert!(purge.run_once().await.is_err());
    }
}
