//! Background loops of the order service: the relay that drains the outbox onto Redis, the
//! listener that records the voucher service's acknowledgements (pub/sub), and the
//! housekeeping that keeps the bookkeeping tables bounded.

mod ack_listener;
mod housekeeping;
mod outbox_relay;

pub use ack_listener::run_ack_listener;
pub use housekeeping::run_housekeeping;
pub use outbox_relay::run_outbox_relay;
