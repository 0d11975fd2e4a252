//! Background workers of the order service (the relay that drains the outbox onto the bus
//! is `checkout_outbox::run_outbox_relay`): the housekeeping that keeps the bookkeeping tables bounded, and the refresh of the
//! replica's copy of the catalog.

mod catalog_refresh;
mod housekeeping;

pub use catalog_refresh::run_catalog_refresh;
pub use housekeeping::run_housekeeping;
