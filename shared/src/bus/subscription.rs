use redis::{PushInfo, PushKind, RedisResult, aio::ConnectionManager};
use tokio::sync::mpsc;

use super::RedisEndpoint;

/// A subscription to one pub/sub channel on a managed RESP3 connection: when the connection
/// drops, the manager reconnects and subscribes again by itself. Messages wait in a bounded
/// queue; if the reader falls that far behind, new messages are dropped and logged (pub/sub
/// senders re-publish what was not acknowledged).
pub struct ChannelSubscription {
    conn: ConnectionManager,
    messages: mpsc::Receiver<PushInfo>,
}

impl ChannelSubscription {
    /// # Errors
    /// Redis cannot be reached or refuses the subscription.
    pub async fn open(endpoint: &RedisEndpoint, channel: &str, queue_capacity: usize) -> RedisResult<Self> {
        let (sender, messages) = mpsc::channel(queue_capacity.max(1));
        let push = move |info: PushInfo| {
            sender.try_send(info).map_err(|e| {
                tracing::error!(error.message = %e, "subscription queue full; message dropped");
            })
        };
        let mut conn = super::connect_subscriber(endpoint, push).await?;
        conn.subscribe(channel).await?;
        tracing::info!(%channel, "subscribed");
        Ok(Self { conn, messages })
    }

    /// The payload of the next message, or `None` once the subscription is gone for good.
    pub async fn next_message(&mut self) -> Option<Vec<u8>> {
        loop {
            let push = self.messages.recv().await?;
            if let Some(payload) = payload_of(push) {
                return Some(payload);
            }
        }
    }

    /// The next message and, without waiting, up to `max - 1` more already queued: for
    /// readers that handle messages in batches. Empty once the subscription is gone.
    pub async fn next_batch(&mut self, max: usize) -> Vec<Vec<u8>> {
        let Some(first) = self.next_message().await else {
            return Vec::new();
        };
        let mut batch = vec![first];
        while batch.len() < max {
            match self.messages.try_recv() {
                Ok(push) => batch.extend(payload_of(push)),
                Err(_) => break,
            }
        }
        batch
    }

    /// Checks the connection, so that a dead one is noticed (and replaced) even when idle.
    ///
    /// # Errors
    /// Redis did not answer.
    pub async fn ping(&mut self) -> RedisResult<()> {
        redis::cmd("PING").query_async::<()>(&mut self.conn).await
    }
}

/// A message's payload; connection events are logged and yield nothing.
fn payload_of(push: PushInfo) -> Option<Vec<u8>> {
    match push.kind {
        PushKind::Message => match push.data.get(1).map(redis::from_redis_value_ref::<Vec<u8>>) {
            Some(Ok(payload)) => Some(payload),
            _ => {
                tracing::warn!(data = ?push.data, "pub/sub message without a readable payload");
                None
            }
        },
        PushKind::Disconnection => {
            tracing::warn!("Redis connection lost; reconnecting");
            None
        }
        PushKind::Subscribe => {
            tracing::info!("subscription (re)established");
            None
        }
        _ => None,
    }
}
