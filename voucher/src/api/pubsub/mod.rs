//! The bus side of the voucher service: consumers of `order.sent` events, one per transport,
//! sharing one way of handling an event. Each event is read into the domain's `SentOrder` here,
//! at the edge, before the use case sees it.

mod handler;
mod pubsub_consumer;
mod sent_order;
mod stream_consumer;

pub use handler::{EventHandler, Handled};
pub use pubsub_consumer::{PubSubBus, run_pubsub_consumer};
pub use stream_consumer::{StreamConsumerSettings, run_stream_consumer};

use std::sync::atomic::{AtomicBool, Ordering};

use checkout_http::DependencyCheck;

/// Readiness of the event consumer: ready once it is subscribed (pub/sub) or has joined its
/// consumer group (streams), so `/ready` does not say 200 before events can arrive.
#[derive(Debug, Default)]
pub struct ConsumerCheck(AtomicBool);

impl ConsumerCheck {
    fn set(&self, consuming: bool) {
        self.0.store(consuming, Ordering::Relaxed);
    }
}

#[async_trait::async_trait]
impl DependencyCheck for ConsumerCheck {
    fn name(&self) -> &'static str {
        "event_consumer"
    }

    async fn check(&self) -> Result<(), String> {
        if self.0.load(Ordering::Relaxed) {
            Ok(())
        } else {
            Err("not consuming events yet".into())
        }
    }
}
