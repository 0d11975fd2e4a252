//! The bus side of the order service: the loop that drains the outbox onto Redis.

mod outbox_relay;

pub use outbox_relay::run_outbox_relay;
