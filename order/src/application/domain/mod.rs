//! The order domain: every rule of an order lives here and nowhere else.
//!
//! | rule | where |
//! |---|---|
//! | lifecycle (`created -> sent -> delivered`, `created -> cancelled`) | [`OrderStatus::can_become`] |
//! | what a status change emits (`order.sent`) | [`Order::transition`] |
//! | the total (sum of quantity x unit price) | [`Order::new`] |
//! | limits of a line (SKU text, quantity, unit price) and of an order (items) | `values.rs` |
//! | currency (EUR only), money as cents, customer ids, page size of listings | `checkout_domain`, re-exported here |
//! | the catalog: products, their names and prices; orders copy them onto their lines | `product.rs` |
//! | idempotency keys (1 to 255 characters) | [`IdempotencyKey`] |
//! | vouchers as announced (digest of the code, owner, value, expiry) | `voucher.rs` |
//! | what a voucher takes off an order (its value, at most the subtotal) and why it may not (unknown, another customer's, expired, used, held) | [`Voucher::discount`] |
//! | who may create, read and change which orders (scopes, own orders only) | `access.rs` |
//!
//! Nothing here does I/O; the use cases load, call and store.

pub mod access;
mod order;
mod product;
mod query;
mod status;
mod values;
mod voucher;

pub use checkout_domain::{
    Cents, Currency, CustomerId, InvalidPageLimit, InvalidText, Money, PageLimit, UnsupportedCurrency,
};
pub use order::{
    AppliedVoucher, InvalidOrder, Order, OrderItem, OrderLine, StoredOrder, Transition, TransitionRefused,
};
pub use product::{Product, ProductName, ProductPage, ProductQuery};
pub use query::{OrderPage, OrderQuery};
pub use status::{OrderStatus, UnknownStatus};
pub use values::{
    CallersKey, IdempotencyKey, InvalidIdempotencyKey, InvalidItemCount, InvalidOrderId, InvalidQuantity,
    InvalidUnitPrice, ItemCount, OrderId, Quantity, Sku, UnitPrice,
};
pub use voucher::{Hold, InvalidVoucher, Refusal, Voucher};

/// Orders for the use cases' unit tests, built through the domain's own rules.
#[cfg(test)]
pub(crate) use order::tests as fixtures;
#[cfg(test)]
pub(crate) use voucher::tests as voucher_fixtures;
