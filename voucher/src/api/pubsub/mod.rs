//! The bus side of the voucher service: the consumer of `order.sent` events over pub/sub,
//! and the handler of an event that it and the stream consumer (`checkout_bus::consume`)
//! share. Each event is read into the domain's `SentOrder` here,
//! at the edge, before the use case sees it.

mod handler;
mod pubsub_consumer;
mod sent_order;

pub use handler::{EventHandler, Handled};
pub use pubsub_consumer::{PubSubBus, run_pubsub_consumer};
