//! The bus side of the voucher service: the consumer of the order service's events over
//! pub/sub, and the handler of an event that it and the stream consumer
//! (`checkout_bus::consume`) share. Each event is read into the domain's `SentOrder` or
//! `UsageNews` here, at the edge, before a use case sees it.

mod handler;
mod pubsub_consumer;
mod sent_order;
mod usage;

pub use handler::{EventHandler, EventUseCases, Handled};
pub use pubsub_consumer::{PubSubBus, run_pubsub_consumer};
