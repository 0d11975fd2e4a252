use async_trait::async_trait;
use redis::{PushInfo, PushKind, RedisResult, aio::ConnectionManager};
use shared::bus::RedisEndpoint;
use tokio::sync::mpsc;

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
            RedisSubscription::open(&self.endpoint, &self.channel, self.queue_capacity).await?,
        ))
    }
}

/// A Redis pub/sub subscription on a managed RESP3 connection: when the connection drops,
/// the manager reconnects and subscribes again by itself. Messages wait in a bounded queue;
/// if the consumer falls that far behind, new messages are dropped and logged.
pub struct RedisSubscription {
    conn: ConnectionManager,
    messages: mpsc::Receiver<PushInfo>,
}

impl RedisSubscription {
    /// # Errors
    /// Redis cannot be reached or refuses the subscription.
    pub async fn open(endpoint: &RedisEndpoint, channel: &str, queue_capacity: usize) -> RedisResult<Self> {
        let (sender, messages) = mpsc::channel(queue_capacity);
        let push = move |info: PushInfo| {
            sender.try_send(info).map_err(|e| {
                tracing::error!(error.message = %e, "subscription queue full; message dropped");
            })
        };
        let mut conn = shared::bus::connect_subscriber(endpoint, push).await?;
        conn.subscribe(channel).await?;
        tracing::info!(%channel, "subscribed");
        Ok(Self { conn, messages })
    }
}

#[async_trait]
impl Subscription for RedisSubscription {
    async fn next_message(&mut self) -> Option<Vec<u8>> {
        loop {
            let push = self.messages.recv().await?;
            match push.kind {
                PushKind::Message => match push.data.get(1).map(redis::from_redis_value_ref::<Vec<u8>>) {
                    Some(Ok(payload)) => return Some(payload),
                    _ => {
                        tracing::warn!(data = ?push.data, "pub/sub message without a readable payload")
                    }
                },
                PushKind::Disconnection => tracing::warn!("Redis connection lost; reconnecting"),
                PushKind::Subscribe => tracing::info!("subscription (re)established"),
                _ => {}
            }
        }
    }

    async fn ping(&mut self) -> Result<(), BusError> {
        Ok(redis::cmd("PING").query_async::<()>(&mut self.conn).await?)
    }
}
