//! The voucher domain: every rule of a voucher lives here and nowhere else.
//!
//! | rule | where |
//! |---|---|
//! | what a sent order is: an order id, a valid customer id, a total in a known currency | [`SentOrder::parse`] |
//! | who earns a voucher, and what it is worth (more than 100.00 EUR earns 5.00 EUR) | [`VoucherPolicy`] |
//! | what a voucher is now (active, reserved, redeemed, expired), from what orders did with it, in any order heard | [`Voucher::status`] |
//! | a voucher expires its validity (default 90 days) after it is issued | [`Validity`], [`Voucher::issue`] |
//! | what a code looks like, how it is drawn (CSPRNG) and read | `checkout_domain::VoucherCode` (the order service reads codes too) |
//! | what both services must agree on about a voucher, and how they may differ | [`compare`] |
//! | listing needs a filter | [`VoucherQuery::new`] |
//! | reading needs `vouchers:read` (own vouchers) or `vouchers:admin` (anyone's) | [`access::READ`], [`access::reach`] |
//! | another customer's voucher is not found, naming another customer is refused | `access.rs` (with `checkout_auth::Reach`) |
//! | money as cents, currency (EUR), customer ids, page size | `checkout_domain`, re-exported here |
//!
//! Nothing here does I/O; the use cases load, call and store.

pub mod access;
mod policy;
mod query;
mod reconciliation;
mod sent_order;
mod voucher;

pub use checkout_domain::{
    Cents, Currency, CustomerId, InvalidCode, InvalidPageLimit, InvalidText, Money, PageLimit, UnsupportedCurrency,
    VOUCHER_CODE_LEN, VOUCHER_CODE_PATTERN, VoucherCode,
};
pub use policy::{Decision, InvalidPolicy, NotEligible, VoucherPolicy};
pub use query::{MissingFilter, VoucherQuery};
pub use reconciliation::{CopiedVoucher, Difference, Holder, compare, holder_of};
pub use sent_order::{InvalidSentOrder, OrderId, SentOrder};
pub use voucher::{
    InvalidValidity, InvalidVoucher, StoredVoucher, UnknownUsageKind, Usage, UsageKind, Validity, Voucher, VoucherId,
    VoucherStatus,
};

/// Vouchers for the use cases' unit tests, built through the domain's own rules.
#[cfg(test)]
pub(crate) use sent_order::tests::parse as parse_sent_order;
#[cfg(test)]
pub(crate) use voucher::tests as fixtures;
