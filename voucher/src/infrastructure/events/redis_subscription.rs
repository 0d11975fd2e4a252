use redis::{PushInfo, PushKind, RedisResult, aio::ConnectionManager};
use tokio::sync::mpsc;

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
    pub async fn open(url: &str, channel: &str, queue_capacity: usize) -> RedisResult<Self> {
        let (sender, messages) = mpsc::channel(queue_capacity);
        let push = move |info: PushInfo| {
            sender.try_send(info).map_err(|e| {
                tracing::error!(error.message = %e, "subscription queue full; message dropped");
            })
        };
        let mut conn = shared::bus::connect_subscriber(url, push).await?;
        conn.subscribe(channel).await?;
        tracing::info!(%channel, "subscribed");
        Ok(Self { conn, messages })
    }

    /// The payload of the next message, or `None` once the connection is gone for good.
    pub async fn next_message(&mut self) -> Option<Vec<u8>> {
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

    /// Sends PING, so that a dead connection is noticed (and replaced) even when idle.
    ///
    /// # Errors
    /// Redis did not answer.
    pub async fn ping(&mut self) -> RedisResult<()> {
        redis::cmd("PING").query_async::<()>(&mut self.conn).await
    }
}
