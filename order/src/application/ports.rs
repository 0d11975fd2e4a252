//! The ports of the order service: what its use cases need from storage and from the bus,
//! in the domain's terms. Adapters live in `infrastructure`; `startup` plugs them in.

use async_trait::async_trait;
use checkout_contract::events::OrderEvent;
use chrono::{DateTime, Utc};

#[cfg(test)]
pub use checkout_outbox::{MockOutboxRepository, MockRelaySignal};
pub use checkout_outbox::{OutboxRepository, RelaySignal};
pub use checkout_runtime::{BoxError, RepositoryError};

use super::domain::{CallersKey, Hold, Order, OrderId, OrderQuery, OrderStatus, Product, ProductQuery, Sku, Voucher};

/// What [`OrderRepository::create`] did with an order sent with an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateOutcome {
    /// The order was stored (and its key, if any, recorded with it).
    Created,
    /// A request with this key and the same body already created this order; nothing was
    /// stored.
    Replay(Order),
    /// The key was used with a different request body; nothing was stored.
    Mismatch,
    /// Another request with this key is still being stored and did not finish within the
    /// adapter's wait; nothing was stored.
    InFlight,
    /// The order's voucher was no longer free for it when it came to be stored (another
    /// order took it since it was read); nothing was stored.
    VoucherTaken,
}

/// Orders, and everything written together with them: the outbox event of a creation or a
/// status change, the idempotency record of a creation, and the hold an order has on its
/// voucher. This one port owns those writes, so each is one transaction and no other adapter
/// writes these rows.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait OrderRepository: Send + Sync {
    /// Stores a new order. With an idempotency key (its caller's) and the `fingerprint` of
    /// the request body, records the key with the order in the same transaction, so a key
    /// is never held without its order: if that transaction fails or its process dies, the
    /// key is free again at once. A request that finds its key taken waits for the holder's
    /// transaction to end, then replays the order it stored (same fingerprint) or reports a
    /// mismatch. Keys are kept for 24 hours; an older one is taken over.
    ///
    /// An order that uses a voucher holds it in the same transaction, only if no order holds
    /// it and it is its customer's (else [`CreateOutcome::VoucherTaken`]), and appends
    /// `event` (its `order.placed`) to the outbox.
    ///
    /// # Errors
    /// [`RepositoryError`] when the order could not be stored; then nothing was stored.
    async fn create<'a>(
        &self,
        order: &Order,
        event: Option<&'a OrderEvent>,
        idempotency_key: Option<(&'a CallersKey, &'a str)>,
    ) -> Result<CreateOutcome, RepositoryError>;

    /// What an earlier, committed creation with this key (its caller's, within its 24 hours)
    /// says about a request with `fingerprint`: `Replay` of its order, `Mismatch`, or
    /// `InFlight` for an earlier version's claim under its lease; `None` when the key is
    /// free. Writes nothing. For a retry that can no longer be priced (its product left the
    /// catalog since), which still gets the order it created.
    ///
    /// # Errors
    /// [`RepositoryError`] as for [`OrderRepository::find`].
    async fn recorded<'a>(
        &self,
        key: &'a CallersKey,
        fingerprint: &'a str,
    ) -> Result<Option<CreateOutcome>, RepositoryError>;

    /// The order with this id, or `None`.
    ///
    /// # Errors
    /// [`RepositoryError`] when the database fails or the row breaks a domain rule.
    async fn find(&self, id: OrderId) -> Result<Option<Order>, RepositoryError>;

    /// Up to `limit` orders matching the filters of `query`, newest first, older than
    /// `query.before`.
    ///
    /// # Errors
    /// [`RepositoryError`] as for [`OrderRepository::find`].
    async fn list(&self, query: &OrderQuery, limit: u64) -> Result<Vec<Order>, RepositoryError>;

    /// Saves `order`'s status and `updated_at` only if its stored status is still
    /// `expected`, and appends `event` to the outbox in the same transaction. The order's
    /// voucher follows it there: spent when the order becomes `sent`, free again when it
    /// becomes `cancelled`. Returns `false`, having written nothing, when the stored status
    /// was not `expected` (another request changed it first).
    ///
    /// # Errors
    /// [`RepositoryError`] when the write failed; then nothing was written.
    async fn save_transition<'a>(
        &self,
        order: &Order,
        expected: OrderStatus,
        event: Option<&'a OrderEvent>,
    ) -> Result<bool, RepositoryError>;

    /// Deletes keys older than 24 hours (they can no longer be replayed); returns how many.
    ///
    /// # Errors
    /// [`RepositoryError`].
    async fn purge_expired_keys(&self) -> Result<u64, RepositoryError>;
}

/// The bus could not be reached or refused a subscription (the bus's own error, as it says).
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct BusError(pub BoxError);

/// An open subscription to the voucher service's acknowledgements (pub/sub transport).
#[async_trait]
pub trait AckSubscription: Send {
    /// The next message and, without waiting, up to `max - 1` more already received; empty
    /// once the subscription is gone for good.
    async fn next_batch(&mut self, max: usize) -> Vec<Vec<u8>>;
}

/// Opens subscriptions to the voucher service's acknowledgements.
#[async_trait]
pub trait AckSubscriber: Send + Sync {
    /// The channel the acknowledgements come on, for the logs.
    fn channel(&self) -> &str;

    /// # Errors
    /// [`BusError`] when the bus is unreachable or refuses the subscription.
    async fn subscribe(&self) -> Result<Box<dyn AckSubscription>, BusError>;
}

/// What [`ProductRepository::put`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    Created,
    Replaced,
}

/// What [`ProductRepository::deactivate`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deactivation {
    /// It was active and is not any more.
    Deactivated(Product),
    /// It was already inactive; nothing changed.
    AlreadyInactive(Product),
    NotFound,
}

/// The catalog as stored. Every write also moves the catalog's version on, in the same
/// transaction, so that [`ProductRepository::version`] tells every replica that its copy is
/// out of date.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait ProductRepository: Send + Sync {
    /// The product with this SKU, active or not, or `None`.
    ///
    /// # Errors
    /// [`RepositoryError`] when the database fails or the row breaks a domain rule.
    async fn find(&self, sku: &Sku) -> Result<Option<Product>, RepositoryError>;

    /// Up to `limit` products matching `query`, by SKU, after `query.after`.
    ///
    /// # Errors
    /// [`RepositoryError`] as for [`ProductRepository::find`].
    async fn list(&self, query: &ProductQuery, limit: u64) -> Result<Vec<Product>, RepositoryError>;

    /// Creates `product` or replaces the one with its SKU.
    ///
    /// # Errors
    /// [`RepositoryError`] when it could not be written; then nothing was.
    async fn put(&self, product: &Product) -> Result<PutOutcome, RepositoryError>;

    /// Takes the product with this SKU out of sale in one statement, so that a write to it
    /// at the same moment is neither lost nor undone; `at` becomes its `updated_at` if it was
    /// active.
    ///
    /// # Errors
    /// [`RepositoryError`] when it could not be written; then nothing was.
    async fn deactivate(&self, sku: &Sku, at: DateTime<Utc>) -> Result<Deactivation, RepositoryError>;

    /// Writes every product of `products` (creating or replacing each) in one transaction:
    /// all of them, or none. Returns how many were created and how many replaced.
    ///
    /// # Errors
    /// [`RepositoryError`] when they could not be written; then none was.
    async fn put_all(&self, products: &[Product]) -> Result<(usize, usize), RepositoryError>;

    /// Every product, active or not, by SKU, with the version of the catalog they are.
    ///
    /// # Errors
    /// [`RepositoryError`] as for [`ProductRepository::find`].
    async fn all(&self) -> Result<(u64, Vec<Product>), RepositoryError>;

    /// The catalog's version: it moves on with every write.
    ///
    /// # Errors
    /// [`RepositoryError`] when the database fails.
    async fn version(&self) -> Result<u64, RepositoryError>;
}

/// The catalog as the order service prices new orders from: a copy in memory, so that
/// taking an order asks the database nothing about its products.
#[cfg_attr(test, mockall::automock)]
pub trait Catalog: Send + Sync {
    /// The active product with this SKU, as of the copy's version.
    fn active(&self, sku: &Sku) -> Option<Product>;

    /// The version of the copy (0 before it is loaded).
    fn version(&self) -> u64;

    /// Replaces the copy with `products`, the catalog at `version`, unless the copy is
    /// already that recent.
    fn replace(&self, version: u64, products: Vec<Product>);
}

/// The order service's copy of the vouchers, fed by `voucher.issued`.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait VoucherRepository: Send + Sync {
    /// Adds `voucher` unless it is already known (a redelivered announcement changes
    /// nothing, whatever became of the voucher since); `true` if it was new.
    ///
    /// # Errors
    /// [`RepositoryError`] when the database fails; then nothing was written.
    async fn record(&self, voucher: &Voucher) -> Result<bool, RepositoryError>;

    /// The voucher whose code has this digest (`VoucherCode::digest`), with which order has
    /// it, or `None` if none is known.
    ///
    /// # Errors
    /// [`RepositoryError`] when the database fails or the row breaks a domain rule.
    async fn find(&self, code_digest: &str) -> Result<Option<(Voucher, Hold)>, RepositoryError>;
}
