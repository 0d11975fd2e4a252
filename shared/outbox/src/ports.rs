//! What the relay needs from the outbox table and from the bus.

use std::time::Duration;

use async_trait::async_trait;
use checkout_contract::trace::TraceContext;
use checkout_runtime::{BoxError, RepositoryError};
use uuid::Uuid;

/// An event waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEvent {
    pub event_id: Uuid,
    /// Its `event_type` (`order.sent`, `voucher.issued`, ...).
    pub event_type: String,
    /// The order or voucher it is about.
    pub aggregate_id: Uuid,
    /// The event in its wire form (JSON), as stored.
    pub payload: String,
    /// The correlation it carries, for the logs.
    pub trace: TraceContext,
    /// How many times it has been claimed for publishing, this time included.
    pub attempts: u32,
}

/// Unpublished events waiting in the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Backlog {
    pub events: u64,
    /// Age of the oldest unpublished event.
    pub oldest_age: Option<Duration>,
}

/// When an event the bus did not confirm is published again: `first` after its first
/// attempt, doubling with each further attempt, never more than `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub first: Duration,
    pub max: Duration,
}

impl RetryPolicy {
    /// Always `after`, whatever the attempt.
    pub fn fixed(after: Duration) -> Self {
        Self {
            first: after,
            max: after,
        }
    }

    /// The wait for a consumer's acknowledgement (pub/sub): `timeout` after the first
    /// attempt, doubling up to a minute (or `timeout` itself if longer).
    pub fn acknowledgement(timeout: Duration) -> Self {
        Self {
            first: timeout,
            max: timeout.max(Duration::from_secs(60)),
        }
    }
}

/// The outbox as the relay sees it: it reads, claims and marks the events the service's
/// transactions stored. Claims are leases, so several relays (one per instance) never
/// publish the same event at the same time, and a relay that dies mid-batch only delays its
/// events until the lease runs out.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait OutboxRepository: Send + Sync {
    /// Claims up to `limit` unpublished events that are due, oldest first, and makes each
    /// due again after `lease`'s back-off for its attempts, this one included: hidden from
    /// other claims meanwhile, and published again then unless it was marked.
    ///
    /// # Errors
    /// [`RepositoryError`]; then nothing was claimed.
    async fn claim_due(&self, limit: u32, lease: RetryPolicy) -> Result<Vec<PendingEvent>, RepositoryError>;

    /// Marks events as delivered (published and, in pub/sub, acknowledged); they will not be
    /// claimed again. Events already marked, or unknown, are left as they are.
    ///
    /// # Errors
    /// [`RepositoryError`]; the events then stay claimed and are published again after the lease.
    async fn mark_published(&self, event_ids: &[Uuid]) -> Result<(), RepositoryError>;

    /// Deletes events published more than `retention` ago; returns how many.
    ///
    /// # Errors
    /// [`RepositoryError`].
    async fn purge_published(&self, retention: Duration) -> Result<u64, RepositoryError>;

    /// How many events wait unpublished, and since when.
    ///
    /// # Errors
    /// [`RepositoryError`].
    async fn backlog(&self) -> Result<Backlog, RepositoryError>;

    /// Makes events due again after `policy`'s back-off for their attempts so far.
    ///
    /// # Errors
    /// [`RepositoryError`]; the events then become due when their lease runs out.
    async fn retry_later(&self, event_ids: &[Uuid], policy: RetryPolicy) -> Result<(), RepositoryError>;
}

/// Tells the relay that a transaction just stored an event, so it leaves without waiting for
/// the next poll. Wired to the relay in the composition root.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait RelaySignal: Send + Sync {
    fn event_stored(&self);
}

impl RelaySignal for tokio::sync::Notify {
    fn event_stored(&self) {
        self.notify_one();
    }
}

/// What the bus did with one published event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The bus holds it durably until a consumer has processed it (a stream entry).
    Delivered,
    /// A consumer received it; it counts as delivered once the consumer acknowledges it
    /// (pub/sub), and is published again if no acknowledgement comes in time.
    AwaitingAck,
    /// The bus took it but no consumer was there to receive it, so it must be sent again.
    NoConsumer,
}

/// The bus could not be reached or refused the batch; nothing in it counts as delivered.
#[derive(Debug, thiserror::Error)]
#[error("event bus unavailable")]
pub struct PublishError(#[source] pub BoxError);

/// Publishes events to the message bus, sealed by the service's signing key.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait EventPublisher: Send + Sync {
    /// Publishes `events` in order and reports, for each, whether a consumer got it.
    ///
    /// # Errors
    /// [`PublishError`] when the bus is unreachable; the caller keeps every event for a retry.
    async fn publish(&self, events: &[PendingEvent]) -> Result<Vec<Delivery>, PublishError>;
}
