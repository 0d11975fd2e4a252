//! Persistence port of the voucher service.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::dto::{Voucher, VoucherCode, VoucherQuery};

pub use shared::repository::RepositoryError;

/// What happened to a voucher offered for storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    Inserted,
    /// The order already has a voucher; nothing was stored.
    OrderAlreadyHasVoucher,
    /// Another voucher has this code; nothing was stored.
    CodeTaken,
}

/// What happened to a redemption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedeemOutcome {
    Redeemed(Voucher),
    AlreadyRedeemed(Voucher),
    NotFound,
}

/// Stores vouchers. Uniqueness of `order_id` and of `code` is enforced by the store itself,
/// so concurrent or repeated attempts cannot create a second voucher for one order.
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
    /// [`RepositoryError`] when the database fails or the row does not map to a [`Voucher`].
    async fn find_by_code(&self, code: &VoucherCode) -> Result<Option<Voucher>, RepositoryError>;

    /// Vouchers matching every given filter, newest first.
    ///
    /// # Errors
    /// As [`VoucherRepository::find_by_code`].
    async fn list(&self, query: &VoucherQuery) -> Result<Vec<Voucher>, RepositoryError>;

    /// Atomically moves an active voucher to redeemed; of concurrent calls, exactly one wins.
    ///
    /// # Errors
    /// [`RepositoryError`] when the database fails; then nothing changed.
    async fn redeem(&self, code: &VoucherCode, at: DateTime<Utc>) -> Result<RedeemOutcome, RepositoryError>;
}
