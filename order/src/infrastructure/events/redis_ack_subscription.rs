use async_trait::async_trait;
use checkout_bus::{ChannelSubscription, RedisEndpoint};

use crate::application::ports::{AckSubscriber, AckSubscription, BusError};

/// Acknowledgements buffered in memory while a write is in progress.
const QUEUE: usize = 10_000;

/// Opens subscriptions to the acknowledgement channel.
pub struct RedisAckSubscriber {
    endpoint: RedisEndpoint,
    channel: String,
}

impl RedisAckSubscriber {
    pub fn new(endpoint: RedisEndpoint, channel: String) -> Self {
        Self { endpoint, channel }
    }
}

#[async_trait]
impl AckSubscriber for RedisAckSubscriber {
    fn channel(&self) -> &str {
        &self.channel
    }

    async fn subscribe(&self) -> Result<Box<dyn AckSubscription>, BusError> {
        let subscription = ChannelSubscription::open(&self.endpoint, &self.channel, QUEUE)
            .await
            .map_err(|e| BusError(Box::new(e)))?;
        Ok(Box::new(subscription))
    }
}

/// A Redis subscription ([`ChannelSubscription`]: keeps its connection alive and resubscribes
/// by itself after a reconnect).
#[async_trait]
impl AckSubscription for ChannelSubscription {
    async fn next_batch(&mut self, max: usize) -> Vec<Vec<u8>> {
        ChannelSubscription::next_batch(self, max).await
    }
}
