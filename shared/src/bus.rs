//! Redis connections for the event bus.

use std::time::Duration;

use redis::{
    Client, IntoConnectionInfo, ProtocolVersion, RedisResult,
    aio::{AsyncPushSender, ConnectionManager, ConnectionManagerConfig},
};

/// Reconnect and timeout policy used for every Redis connection: commands fail fast
/// (callers retry from their own durable state) and reconnects back off up to one second.
pub fn connection_config() -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(2)))
        .set_response_timeout(Some(Duration::from_secs(2)))
        .set_min_delay(Duration::from_millis(50))
        .set_max_delay(Duration::from_secs(1))
        .set_number_of_retries(6)
}

/// Opens a managed connection that reconnects by itself after failures.
///
/// # Errors
/// The URL is invalid, or Redis could not be reached within the retry policy.
pub async fn connect(url: &str) -> RedisResult<ConnectionManager> {
    Client::open(url)?
        .get_connection_manager_with_config(connection_config())
        .await
}

/// Opens a managed RESP3 connection whose pub/sub messages are handed to `sender` and whose
/// subscriptions are restored by itself after a reconnect.
///
/// # Errors
/// As [`connect`].
pub async fn connect_subscriber(
    url: &str,
    sender: impl AsyncPushSender,
) -> RedisResult<ConnectionManager> {
    let info = url.into_connection_info()?;
    let settings = info
        .redis_settings()
        .clone()
        .set_protocol(ProtocolVersion::RESP3);
    Client::open(info.set_redis_settings(settings))?
        .get_connection_manager_with_config(
            connection_config()
                .set_push_sender(sender)
                .set_automatic_resubscription(),
        )
        .await
}
