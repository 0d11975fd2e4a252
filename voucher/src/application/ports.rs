//! The ports of the voucher service: what its use cases and consumers need from storage and
//! from the bus, in the domain's terms. Adapters live in `infrastructure`; `startup` plugs
//! them in.

use std::time::Duration;

use async_trait::async_trait;
use checkout_contract::events::EventAck;

pub use checkout_runtime::{BoxError, RepositoryError};

use super::domain::{Voucher, VoucherCode, VoucherQuery};

/// What happened to a voucher offered for storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    Inserted,
    /// The order already has a voucher; nothing was stored.
    OrderAlreadyHasVoucher,
    /// Another voucher has this code; nothing was stored.
    CodeTaken,
}

/// Stores vouchers. Uniqueness of the order and of the code is enforced by the store
/// itself, so concurrent or repeated attempts cannot create a second voucher for one order.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait VoucherRepository: Send + Sync {
    /// Stores `voucher` unless its order already has one or its code is taken.
    ///
    /// # Errors
    /// [`RepositoryError`] when the database fails; then nothing was stored.
    async fn insert(&self, voucher: &Voucher) -> Result<InsertOutcome, RepositoryError>;

    /// The voucher with this code, or `None`.
    ///
    /// # Errors
    /// [`RepositoryError`] when the database fails or the row breaks a domain rule.
    async fn find_by_code(&self, code: &VoucherCode) -> Result<Option<Voucher>, RepositoryError>;

    /// Vouchers matching every filter of `query`, newest first.
    ///
    /// # Errors
    /// As [`VoucherRepository::find_by_code`].
    async fn list(&self, query: &VoucherQuery) -> Result<Vec<Voucher>, RepositoryError>;

    /// Saves the redemption of `voucher` only if the stored voucher is still active; of
    /// concurrent calls, exactly one gets `true`. `false` means it was redeemed meanwhile.
    ///
    /// # Errors
    /// [`RepositoryError`] when the database fails; then nothing changed.
    async fn save_redemption(&self, voucher: &Voucher) -> Result<bool, RepositoryError>;
}

/// The bus could not be reached or refused a command.
#[derive(Debug, thiserror::Error)]
#[error("event bus unavailable")]
pub struct BusError(#[source] pub BoxError);

/// One stream entry handed to the consumer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamEntry {
    pub id: String,
    pub payload: Vec<u8>,
    /// How many times the group has delivered this entry, this time included.
    pub deliveries: u64,
}

/// A member of a consumer group on the order.sent stream. Entries stay pending until
/// acknowledged; a consumer that restarts under the same name gets its own pending entries
/// back first, and entries left pending by a dead consumer are claimed after an idle time.
#[async_trait]
pub trait StreamConsumer: Send + Sync {
    /// Creates the stream and the group if missing; a new group starts at the beginning.
    ///
    /// # Errors
    /// [`BusError`] when the bus is unreachable.
    async fn ensure_group(&self) -> Result<(), BusError>;

    /// This consumer's own pending entries after `after` (start with "0").
    ///
    /// # Errors
    /// [`BusError`].
    async fn own_pending(&self, after: &str, count: usize) -> Result<Vec<StreamEntry>, BusError>;

    /// New entries, waiting up to `block` for some to arrive.
    ///
    /// # Errors
    /// [`BusError`].
    async fn new_entries(&self, count: usize, block: Duration) -> Result<Vec<StreamEntry>, BusError>;

    /// Takes over entries another consumer left pending for too long.
    ///
    /// # Errors
    /// [`BusError`].
    async fn claim_stale(&self, count: usize) -> Result<Vec<StreamEntry>, BusError>;

    /// Acknowledges processed entries; they will not be delivered again.
    ///
    /// # Errors
    /// [`BusError`]; the entries stay pending and are processed again (harmlessly).
    async fn ack(&self, ids: &[String]) -> Result<(), BusError>;

    /// Moves an entry to the dead-letter stream and acknowledges it, atomically.
    ///
    /// # Errors
    /// [`BusError`]; the entry stays pending.
    async fn dead_letter(&self, entry: &StreamEntry, reason: &str) -> Result<(), BusError>;

    /// Drops entries every group has acknowledged; never a pending one.
    ///
    /// # Errors
    /// [`BusError`].
    async fn trim_acknowledged(&self) -> Result<(), BusError>;
}

/// An open pub/sub subscription to order.sent.
#[async_trait]
pub trait Subscription: Send {
    /// The payload of the next message, or `None` once the subscription is gone for good.
    async fn next_message(&mut self) -> Option<Vec<u8>>;
}

/// Opens pub/sub subscriptions to order.sent.
#[async_trait]
pub trait Subscriber: Send + Sync {
    /// # Errors
    /// [`BusError`] when the bus is unreachable or refuses the subscription.
    async fn subscribe(&self) -> Result<Box<dyn Subscription>, BusError>;
}

/// Tells the order service (pub/sub transport) that an event's fate is durably recorded, so
/// it stops publishing it.
#[async_trait]
pub trait Acknowledgements: Send + Sync {
    /// # Errors
    /// [`BusError`]; the order service then publishes the event again, and it is handled
    /// (harmlessly) and acknowledged again.
    async fn acknowledge(&self, ack: &EventAck) -> Result<(), BusError>;
}

/// The dead-letter stream: events that could not be processed, each with the reason.
#[async_trait]
pub trait DeadLetters: Send + Sync {
    /// Appends one dead letter; `source_id` says where the event came from.
    ///
    /// # Errors
    /// [`BusError`].
    async fn add(&self, payload: &[u8], reason: &str, source_id: &str) -> Result<(), BusError>;
}
