//! Persistence ports of the order service.

use std::time::Duration;

use async_trait::async_trait;
use shared::events::OrderSent;
use uuid::Uuid;

use super::dto::{Order, OrderQuery, OrderStatus};

pub use shared::repository::RepositoryError;

/// Stores orders and, atomically with their status changes, the events those changes emit.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait OrderRepository: Send + Sync {
    /// Stores a new order. With an idempotency key (claimed beforehand through
    /// [`IdempotencyRepository::claim`]), completes that key with the order in the same
    /// transaction, so a replay always finds the order it names.
    ///
    /// # Errors
    /// [`RepositoryError`] when the order could not be stored; then nothing was stored.
    async fn insert<'a>(&self, order: &Order, idempotency_key: Option<&'a str>) -> Result<(), RepositoryError>;

    /// The order with this id, or `None`.
    ///
    /// # Errors
    /// [`RepositoryError`] when the database fails or the row does not map to an [`Order`].
    async fn find(&self, id: Uuid) -> Result<Option<Order>, RepositoryError>;

    /// Up to `query.limit` orders matching the filters, newest first, older than `query.before`.
    ///
    /// # Errors
    /// [`RepositoryError`] as for [`OrderRepository::find`].
    async fn list(&self, query: &OrderQuery) -> Result<Vec<Order>, RepositoryError>;

    /// Saves `order`'s new status and `updated_at` only if its stored status is still
    /// `expected`, and appends `events` to the outbox in the same transaction.
    /// Returns `false`, having written nothing, when the stored status was not `expected`
    /// (another request changed it first).
    ///
    /// # Errors
    /// [`RepositoryError`] when the transaction failed; then nothing was written.
    async fn update_status(
        &self,
        order: &Order,
        expected: OrderStatus,
        events: &[OrderSent],
    ) -> Result<bool, RepositoryError>;
}

/// An event waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEvent {
    pub event: OrderSent,
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

/// The outbox the relay drains. Claims are leases, so several relays (one per order service
/// instance) never publish the same event at the same time, and a relay that dies mid-batch
/// only delays its events until the lease runs out.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait OutboxRepository: Send + Sync {
    /// Claims up to `limit` unpublished events that are due, oldest first, hiding them from
    /// other claims for `lease`.
    ///
    /// # Errors
    /// [`RepositoryError`]; then nothing was claimed.
    async fn claim_due(&self, limit: u32, lease: Duration) -> Result<Vec<PendingEvent>, RepositoryError>;

    /// Marks events as published; they will not be claimed again.
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

    /// Makes events due again after a back-off that grows with their attempts (capped).
    ///
    /// # Errors
    /// [`RepositoryError`]; the events then become due when their lease runs out.
    async fn retry_later(&self, event_ids: &[Uuid]) -> Result<(), RepositoryError>;
}

/// What a claim on an idempotency key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyClaim {
    /// The key is new (or expired): this request owns it and must create the order.
    Claimed,
    /// A request with this key and the same body already created this order.
    Replay(Order),
    /// A request with this key is still being processed.
    InFlight,
    /// The key was used with a different request body.
    Mismatch,
}

/// Idempotency keys of order creation, kept for 24 hours.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait IdempotencyRepository: Send + Sync {
    /// Claims `key` for a request whose body has `fingerprint`. A claim not completed within
    /// `lease` (its holder died) may be taken over by a request with the same fingerprint.
    ///
    /// # Errors
    /// [`RepositoryError`]; then nothing was claimed.
    async fn claim(&self, key: &str, fingerprint: &str, lease: Duration) -> Result<IdempotencyClaim, RepositoryError>;

    /// Deletes keys older than 24 hours (they can no longer be replayed); returns how many.
    ///
    /// # Errors
    /// [`RepositoryError`].
    async fn purge_expired(&self) -> Result<u64, RepositoryError>;

    /// Gives up an uncompleted claim, so the client can retry with the same key.
    ///
    /// # Errors
    /// [`RepositoryError`]; the claim then expires with its lease.
    async fn release(&self, key: &str) -> Result<(), RepositoryError>;
}
