//! Settings of the voucher service, read once from the environment at start.

use std::time::Duration;

use shared::{
    bus::Transport,
    config::{ConfigError, or_default, required},
    events::CHANNEL_ORDER_SENT,
    telemetry::LogFormat,
};

use crate::application::domain::{Cents, Currency, VoucherPolicy};

/// Every setting of the voucher service. Each field's variable is documented in `.env.example`.
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
    /// Consumer group and this instance's name in it (streams).
    pub consumer_group: String,
    pub consumer_name: String,
    /// Entries read per round (streams).
    pub consumer_batch: usize,
    /// Attempts before an event is dead-lettered.
    pub max_deliveries: u32,
    /// Idle time after which another consumer's pending entry is taken over (streams).
    pub claim_idle: Duration,
    pub policy: VoucherPolicy,
    pub consumer_concurrency: usize,
    pub consumer_queue: usize,
    pub log_format: LogFormat,
}

impl Settings {
    /// # Errors
    /// The first variable that is missing or malformed, by name.
    pub fn from_env() -> Result<Self, ConfigError> {
        let threshold = or_default(
            "VOUCHER_THRESHOLD_CENTS",
            Cents::new(VoucherPolicy::DEFAULT_THRESHOLD_CENTS).unwrap_or_default(),
        )?;
        let amount = or_default(
            "VOUCHER_AMOUNT_CENTS",
            Cents::new(VoucherPolicy::DEFAULT_AMOUNT_CENTS).unwrap_or_default(),
        )?;
        let policy = VoucherPolicy::new(threshold, amount, Currency::Eur).map_err(|e| ConfigError::Invalid {
            key: "VOUCHER_AMOUNT_CENTS".into(),
            reason: e.to_string(),
        })?;
        Ok(Self {
            http_host: or_default("VOUCHER_HTTP_HOST", "127.0.0.1".to_owned())?,
            http_port: or_default("VOUCHER_HTTP_PORT", 54323)?,
            max_body_bytes: or_default("HTTP_MAX_BODY_BYTES", 64 * 1024)?,
            database_url: required("VOUCHER_DATABASE_URL")?,
            db_max_connections: or_default("VOUCHER_DB_MAX_CONNECTIONS", 16)?,
            redis_url: or_default("REDIS_URL", "redis://127.0.0.1:6379".to_owned())?,
            order_sent_channel: or_default("ORDER_SENT_CHANNEL", CHANNEL_ORDER_SENT.to_owned())?,
            event_transport: or_default("EVENT_TRANSPORT", Transport::PubSub)?,
            consumer_group: or_default("VOUCHER_CONSUMER_GROUP", "voucher".to_owned())?,
            consumer_name: or_default("VOUCHER_CONSUMER_NAME", default_consumer_name())?,
            consumer_batch: or_default("VOUCHER_CONSUMER_BATCH", 64)?,
            max_deliveries: or_default("VOUCHER_MAX_DELIVERIES", 5)?,
            claim_idle: Duration::from_millis(or_default("VOUCHER_CLAIM_IDLE_MS", 30_000)?),
            policy,
            consumer_concurrency: or_default("VOUCHER_CONSUMER_CONCURRENCY", 16)?,
            consumer_queue: or_default("VOUCHER_CONSUMER_QUEUE", 10_000)?,
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
            consumer_group: "voucher".to_owned(),
            consumer_name: "voucher-test".to_owned(),
            consumer_batch: 64,
            max_deliveries: 5,
            claim_idle: Duration::from_secs(30),
            policy: VoucherPolicy::default(),
            consumer_concurrency: 8,
            consumer_queue: 10_000,
            log_format: LogFormat::Text,
        }
    }
}

/// The host name, which is stable across restarts of one instance and differs between
/// instances (containers get their own), so a restarted consumer finds its pending entries.
fn default_consumer_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "voucher".to_owned())
}
