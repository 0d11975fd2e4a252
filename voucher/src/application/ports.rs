//! The ports of the voucher service: what its use cases and consumers need from storage and
//! from the bus, in the domain's terms. Adapters live in `infrastructure`; `startup` plugs
//! them in.

use async_trait::async_trait;
use checkout_contract::events::{EventAck, VoucherIssued};
#[cfg(test)]
pub use checkout_outbox::MockRelaySignal;
pub use checkout_outbox::RelaySignal;

pub use checkout_runtime::{BoxError, RepositoryError};

use super::domain::{CopiedVoucher, CustomerId, Usage, Voucher, VoucherCode, VoucherId, VoucherQuery};

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
    /// Stores `voucher` unless its order already has one or its code is taken, and `event`
    /// in the outbox in the same transaction: a voucher is stored with its event or not at all.
    ///
    /// # Errors
    /// [`RepositoryError`] when the database fails; then nothing was stored.
    async fn insert(&self, voucher: &Voucher, event: &VoucherIssued) -> Result<InsertOutcome, RepositoryError>;

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

    /// Adds `usage` to the history of voucher `voucher`, if it is `customer`'s, unless that
    /// entry (its kind and order) is already there: a redelivered event changes nothing.
    ///
    /// # Errors
    /// [`RepositoryError`] when the database fails; then nothing was written.
    async fn record_usage(
        &self,
        voucher: VoucherId,
        customer: &CustomerId,
        usage: &Usage,
    ) -> Result<UsageOutcome, RepositoryError>;

    /// Up to `limit` vouchers with ids after `after`, by id, each with its history.
    ///
    /// # Errors
    /// As [`VoucherRepository::find_by_code`].
    async fn page(&self, after: Option<VoucherId>, limit: u64) -> Result<Vec<Voucher>, RepositoryError>;
}

/// The order service's copy of the vouchers, as an operator's reconciliation reads it (with
/// a role of the order database; the services themselves never read each other's).
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait OrderCopy: Send + Sync {
    /// Up to `limit` vouchers of the copy with ids after `after`, by id.
    ///
    /// # Errors
    /// [`RepositoryError`] when the database fails or a row cannot be read.
    async fn page(&self, after: Option<VoucherId>, limit: u64) -> Result<Vec<CopiedVoucher>, RepositoryError>;
}

/// What [`VoucherRepository::record_usage`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageOutcome {
    Recorded,
    /// The history already had it; nothing was written.
    AlreadyRecorded,
    /// No voucher with this id belongs to this customer; nothing was written.
    UnknownVoucher,
}

/// The bus could not be reached or refused a command.
#[derive(Debug, thiserror::Error)]
#[error("event bus unavailable")]
pub struct BusError(#[source] pub BoxError);

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
