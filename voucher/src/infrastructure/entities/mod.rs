//! sea-orm entities, one module per table.

pub use checkout_db::outbox::entity as outbox;
pub mod prelude;
pub mod voucher_usages;
pub mod vouchers;
