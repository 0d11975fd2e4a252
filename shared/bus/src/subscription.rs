use std::time::Duration;

use redis::{PushInfo, PushKind, RedisResult};
use tokio::sync::mpsc;

use super::{BusConnection, RedisEndpoint};

/// How often a subscription PINGs its connection, so that a half-open one is noticed.
pub const HEARTBEAT: Duration = Duration::from_secs(5);
use checkout_runtime::{backoff::Backoff, error::Chain};

/// A subscription to one pub/sub channel on a RESP3 connection. When the connection to a
/// single server drops, the connection manager reconnects and subscribes again by itself. On
/// a cluster, the subscribed node may be gone for good (a failover), so a lost connection is
/// replaced by a new one, subscribed through whichever nodes are up. Messages wait in a
/// bounded queue; if the reader falls that far behind, new messages are dropped and logged
/// (pub/sub senders re-publish what was not acknowledged). While it waits for messages, it
/// PINGs the connection every [`HEARTBEAT`], so a half-open connection is noticed even when
/// idle.
pub struct ChannelSubscription {
    conn: BusConnection,
    heartbeat: tokio::time::Interval,
    messages: mpsc::Receiver<PushInfo>,
    sender: mpsc::Sender<PushInfo>,
    endpoint: RedisEndpoint,
    channel: String,
}

impl ChannelSubscription {
    /// # Errors
    /// Redis cannot be reached or refuses the subscription.
    pub async fn open(endpoint: &RedisEndpoint, channel: &str, queue_capacity: usize) -> RedisResult<Self> {
        let (sender, messages) = mpsc::channel(queue_capacity.max(1));
        let conn = subscribe(endpoint, channel, sender.clone()).await?;
        tracing::info!(%channel, "subscribed");
        Ok(Self {
            conn,
            heartbeat: tokio::time::interval(HEARTBEAT),
            messages,
            sender,
            endpoint: endpoint.clone(),
            channel: channel.to_owned(),
        })
    }

    /// The payload of the next message, or `None` once the subscription is gone for good.
    pub async fn next_message(&mut self) -> Option<Vec<u8>> {
        loop {
            let push = tokio::select! {
                push = self.messages.recv() => push?,
                _ = self.heartbeat.tick() => {
                    if let Err(e) = self.ping().await {
                        tracing::warn!(error.message = %Chain(&e), "heartbeat failed; the connection will be re-established");
                    }
                    continue;
                }
            };
            if push.kind == PushKind::Disconnection && self.endpoint.is_cluster() {
                self.resubscribe().await;
                continue;
            }
            if let Some(payload) = payload_of(push) {
                return Some(payload);
            }
        }
    }

    /// Replaces the cluster connection with a new one, retrying with back-off until it is
    /// subscribed; the old one (and its reconnect loop to the lost node) is dropped.
    async fn resubscribe(&mut self) {
        let mut backoff = Backoff::new(Duration::from_millis(50), Duration::from_secs(1));
        loop {
            match subscribe(&self.endpoint, &self.channel, self.sender.clone()).await {
                Ok(conn) => {
                    self.conn = conn;
                    tracing::info!(channel = %self.channel, "subscribed again through the cluster");
                    return;
                }
                Err(e) => {
                    let pause = backoff.next_delay();
                    tracing::warn!(error.message = %Chain(&e), retry_in = ?pause, "cannot subscribe again yet");
                    tokio::time::sleep(pause).await;
                }
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

    /// Checks the connection, so that a dead one is noticed (and replaced) even when idle;
    /// done every [`HEARTBEAT`] while waiting for messages.
    ///
    /// # Errors
    /// Redis did not answer.
    pub async fn ping(&mut self) -> RedisResult<()> {
        redis::cmd("PING").query_async::<()>(&mut self.conn).await
    }
}

/// A connection subscribed to `channel`, its messages (and connection events) sent to `sender`.
async fn subscribe(
    endpoint: &RedisEndpoint,
    channel: &str,
    sender: mpsc::Sender<PushInfo>,
) -> RedisResult<BusConnection> {
    let push = move |info: PushInfo| {
        sender.try_send(info).map_err(|e| {
            tracing::error!(error.message = %e, "subscription queue full; message dropped");
        })
    };
    let mut conn = super::connect_subscriber(endpoint, push).await?;
    conn.subscribe(channel).await?;
    Ok(conn)
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
