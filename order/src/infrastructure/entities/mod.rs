//! sea-orm entities, one module per table.

pub mod idempotency_keys;
pub mod orders;
pub use checkout_db::outbox::entity as outbox;
pub mod prelude;
pub mod products;
pub mod vouchers;
