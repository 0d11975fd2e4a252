//! sea-orm entities, one module per table.

pub mod orders;
pub mod outbox;
pub mod prelude;
