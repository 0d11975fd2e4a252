//! The bus side of the order service: the listener that records the voucher service's
//! acknowledgements (pub/sub transport), through the acknowledgement subscription port.

mod ack_listener;

pub use ack_listener::run_ack_listener;
