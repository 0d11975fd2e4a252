//! sea-orm entities, one module per table.

pub mod idempotency_keys;
pub mod orders;
pub mod outbox;
pub mod prelude;
pub mod products;
