//! sea-orm entities, one module per table.

pub mod prelude;
pub mod vouchers;
