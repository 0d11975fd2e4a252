//! Settings of the order service, read once from the environment at start.

use std::time::Duration;

use shared::{
    bus::Transport,
    config::{ConfigError, or_default, required},
    events::CHANNEL_ORDER_SENT,
    telemetry::LogFormat,
};

/// Every setting of the order service. Each field's variable is documented in `.env.example`.
#[derive(Clone)]
pub struct Settings {
    pub http_host: String,
    pub http_port: u16,
    pub max_body_bytes: usize,
    pub database_url: String,
    pub db_max_connections: u32,
    pub redis_url: String,
    /// Channel (pub/sub) or stream key (streams) of order.sent events.
    pub order_sent_channel: String,
    pub event_transport: Transport,
    pub relay_batch_size: u32,
    pub relay_poll_interval: Duration,
    pub relay_lease: Duration,
    /// How long published outbox events are kept before they are purged.
    pub outbox_retention: Duration,
    pub log_format: LogFormat,
}

impl Settings {
    /// # Errors
    /// The first variable that is missing or malformed, by name.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            http_host: or_default("ORDER_HTTP_HOST", "127.0.0.1".to_owned())?,
            http_port: or_default("ORDER_HTTP_PORT", 54322)?,
            max_body_bytes: or_default("HTTP_MAX_BODY_BYTES", 64 * 1024)?,
            database_url: required("ORDER_DATABASE_URL")?,
            db_max_connections: or_default("ORDER_DB_MAX_CONNECTIONS", 16)?,
            redis_url: or_default("REDIS_URL", "redis://127.0.0.1:6379".to_owned())?,
            order_sent_channel: or_default("ORDER_SENT_CHANNEL", CHANNEL_ORDER_SENT.to_owned())?,
            event_transport: or_default("EVENT_TRANSPORT", Transport::PubSub)?,
            relay_batch_size: or_default("ORDER_RELAY_BATCH_SIZE", 100)?,
            relay_poll_interval: Duration::from_millis(or_default("ORDER_RELAY_POLL_MS", 250)?),
            relay_lease: Duration::from_millis(or_default("ORDER_RELAY_LEASE_MS", 30_000)?),
            outbox_retention: Duration::from_secs(3600 * or_default("ORDER_OUTBOX_RETENTION_HOURS", 168)?),
            log_format: or_default("LOG_FORMAT", LogFormat::Text)?,
        })
    }

    /// Settings for tests: the given database and Redis, an ephemeral port, defaults elsewhere.
    pub fn for_tests(database_url: String, redis_url: String, order_sent_channel: String) -> Self {
        Self {
            http_host: "127.0.0.1".to_owned(),
            http_port: 0,
            max_body_bytes: 64 * 1024,
            database_url,
            db_max_connections: 8,
            redis_url,
            order_sent_channel,
            event_transport: Transport::PubSub,
            relay_batch_size: 100,
            relay_poll_interval: Duration::from_millis(50),
            relay_lease: Duration::from_secs(30),
            outbox_retention: Duration::from_secs(7 * 24 * 3600),
            log_format: LogFormat::Text,
        }
    }
}
