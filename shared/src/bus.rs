//! Redis connections for the event bus.

use std::time::Duration;

use redis::{
    Client, IntoConnectionInfo, ProtocolVersion, RedisResult,
    aio::{AsyncPushSender, ConnectionManager, ConnectionManagerConfig},
};
use tokio::sync::OnceCell;

/// How events travel between the services, from `EVENT_TRANSPORT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Transport {
    /// Redis PUBLISH/SUBSCRIBE. Simple and fast; a message is delivered to whoever is
    /// subscribed at that moment, and the order service re-publishes events nobody received.
    #[default]
    PubSub,
    /// A Redis stream read through a consumer group. Entries stay until acknowledged, so a
    /// consumer that crashes or restarts picks up where it left off.
    Streams,
}

impl std::str::FromStr for Transport {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "pubsub" => Ok(Self::PubSub),
            "streams" => Ok(Self::Streams),
            other => Err(format!("expected `pubsub` or `streams`, got `{other}`")),
        }
    }
}

/// Name of the dead-letter stream that goes with an event channel or stream.
pub fn dead_letter_key(channel: &str) -> String {
    format!("{channel}.dead")
}

/// A managed connection opened on first use, so a service can start while Redis is down.
/// Once open, the manager reconnects by itself; until then every use tries to open it.
pub struct LazyConnection {
    client: Client,
    conn: OnceCell<ConnectionManager>,
}

impl LazyConnection {
    /// # Errors
    /// The URL is invalid (nothing is connected yet).
    pub fn new(url: &str) -> RedisResult<Self> {
        Ok(Self {
            client: Client::open(url)?,
            conn: OnceCell::new(),
        })
    }

    /// The connection, opening it if needed.
    ///
    /// # Errors
    /// Redis cannot be reached right now.
    pub async fn get(&self) -> RedisResult<ConnectionManager> {
        self.conn
            .get_or_try_init(|| self.client.get_connection_manager_with_config(connection_config()))
            .await
            .cloned()
    }
}

/// Reconnect and timeout policy used for every Redis connection: commands fail fast
/// (callers retry from their own durable state) and reconnects back off up to one second.
pub fn connection_config() -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(2)))
        .set_response_timeout(Some(Duration::from_secs(2)))
        .set_min_delay(Duration::from_millis(50))
        .set_max_delay(Duration::from_secs(1))
        .set_number_of_retries(3)
}

/// Opens a managed RESP3 connection whose pub/sub messages are handed to `sender` and whose
/// subscriptions are restored by itself after a reconnect.
///
/// # Errors
/// The URL is invalid, or Redis could not be reached within the retry policy.
pub async fn connect_subscriber(url: &str, sender: impl AsyncPushSender) -> RedisResult<ConnectionManager> {
    let info = url.into_connection_info()?;
    let settings = info.redis_settings().clone().set_protocol(ProtocolVersion::RESP3);
    Client::open(info.set_redis_settings(settings))?
        .get_connection_manager_with_config(
            connection_config()
                .set_push_sender(sender)
                .set_automatic_resubscription(),
        )
        .await
}
