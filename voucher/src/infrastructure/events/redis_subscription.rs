use async_trait::async_trait;
use checkout_bus::{ChannelSubscription, RedisEndpoint};

use crate::application::ports::{BusError, Subscriber, Subscription};

/// Opens subscriptions to one pub/sub channel.
pub struct RedisSubscriber {
    endpoint: RedisEndpoint,
    channel: String,
    /// Messages buffered in memory while all workers are busy.
    queue_capacity: usize,
}

impl RedisSubscriber {
    pub fn new(endpoint: RedisEndpoint, channel: String, queue_capacity: usize) -> Self {
        Self {
            endpoint,
            channel,
            queue_capacity,
        }
    }
}

#[async_trait]
impl Subscriber for RedisSubscriber {
    async fn subscribe(&self) -> Result<Box<dyn Subscription>, BusError> {
        Ok(Box::new(
            ChannelSubscription::open(&self.endpoint, &self.channel, self.queue_capacity).await?,
        ))
    }
}

/// A Redis subscription ([`ChannelSubscription`]: keeps its connection alive and resubscribes
/// by itself after a reconnect).
#[async_trait]
impl Subscription for ChannelSubscription {
    async fn next_message(&mut self) -> Option<Vec<u8>> {
        ChannelSubscription::next_message(self).await
    }
}
