//! The bus side of the order service: the listener that records the voucher service's
//! acknowledgements (pub/sub transport), through the acknowledgement subscription port, and
//! the handler of the `voucher.issued` stream (`checkout_bus::consume` reads it).

mod ack_listener;
mod voucher_issued;

pub use ack_listener::run_ack_listener;
pub use voucher_issued::VoucherIssuedHandler;
