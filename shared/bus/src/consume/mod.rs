//! Consuming a stream of events through a Redis consumer group, as both services do: the
//! group member ([`RedisStreamConsumer`]), the dead-letter stream ([`RedisDeadLetters`]),
//! the loop that drives them ([`run_stream_consumer`]) and what it asks of the service
//! ([`EntryHandler`]): to open, read and process one entry, and say what became of it.

mod dead_letters;
mod stream;
mod worker;

use std::sync::atomic::{AtomicBool, Ordering};

use checkout_runtime::DependencyCheck;

pub use dead_letters::RedisDeadLetters;
pub use stream::RedisStreamConsumer;
pub use worker::{StreamConsumerSettings, run_stream_consumer};

/// One stream entry handed to the consumer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamEntry {
    pub id: String,
    pub payload: Vec<u8>,
    /// How many times the group has delivered this entry, this time included.
    pub deliveries: u64,
}

/// What became of one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    /// Processed, its outcome stored: acknowledge it.
    Done,
    /// Can never be processed: move it to the dead-letter stream with this reason.
    Poison { reason: String },
    /// Not processed because the service is shutting down: leave it for redelivery.
    Interrupted,
}

/// What the service does with an entry's payload (a sealed event).
#[async_trait::async_trait]
pub trait EntryHandler: Send + Sync {
    /// Opens, reads and processes one event.
    async fn handle(&self, payload: &[u8]) -> Settled;

    /// Settles an entry that is not tried again (delivered too often, for `reason`).
    fn give_up(&self, payload: &[u8], reason: String) -> Settled;
}

/// Readiness of an event consumer: ready once it is subscribed (pub/sub) or has joined its
/// consumer group (streams), so `/ready` does not say 200 before events can arrive.
#[derive(Debug, Default)]
pub struct ConsumerCheck(AtomicBool);

impl ConsumerCheck {
    pub fn set(&self, consuming: bool) {
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
