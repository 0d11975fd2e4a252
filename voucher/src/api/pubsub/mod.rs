//! The bus side of the voucher service: the consumer of `order.sent` events.

mod order_sent_consumer;

pub use order_sent_consumer::run_order_sent_consumer;
