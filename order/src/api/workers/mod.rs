//! Background workers of the order service: the relay that drains the outbox onto the bus,
//! and the housekeeping that keeps the bookkeeping tables bounded.

mod housekeeping;
mod outbox_relay;

pub use housekeeping::run_housekeeping;
pub use outbox_relay::run_outbox_relay;
