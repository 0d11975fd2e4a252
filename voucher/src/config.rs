//! Settings of the voucher service, read once from the environment at start.

use shared::{
    config::{ConfigError, or_default, required},
    events::CHANNEL_ORDER_SENT,
    telemetry::LogFormat,
};

use crate::application::dto::VoucherPolicy;

/// Every setting of the voucher service. Each field's variable is documented in `.env.example`.
#[derive(Clone)]
pub struct Settings {
    pub http_host: String,
    pub http_port: u16,
    pub max_body_bytes: usize,
    pub database_url: String,
    pub db_max_connections: u32,
    pub redis_url: String,
    pub order_sent_channel: String,
    pub policy: VoucherPolicy,
    pub consumer_concurrency: usize,
    pub consumer_queue: usize,
    pub log_format: LogFormat,
}

impl Settings {
    /// # Errors
    /// The first variable that is missing or malformed, by name.
    pub fn from_env() -> Result<Self, ConfigError> {
        let defaults = VoucherPolicy::default();
        Ok(Self {
            http_host: or_default("VOUCHER_HTTP_HOST", "127.0.0.1".to_owned())?,
            http_port: or_default("VOUCHER_HTTP_PORT", 54323)?,
            max_body_bytes: or_default("HTTP_MAX_BODY_BYTES", 64 * 1024)?,
            database_url: required("VOUCHER_DATABASE_URL")?,
            db_max_connections: or_default("VOUCHER_DB_MAX_CONNECTIONS", 16)?,
            redis_url: or_default("REDIS_URL", "redis://127.0.0.1:6379".to_owned())?,
            order_sent_channel: or_default("ORDER_SENT_CHANNEL", CHANNEL_ORDER_SENT.to_owned())?,
            policy: VoucherPolicy {
                threshold_cents: or_default("VOUCHER_THRESHOLD_CENTS", defaults.threshold_cents)?,
                amount_cents: or_default("VOUCHER_AMOUNT_CENTS", defaults.amount_cents)?,
                currency: defaults.currency,
            },
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
            policy: VoucherPolicy::default(),
            consumer_concurrency: 8,
            consumer_queue: 10_000,
            log_format: LogFormat::Text,
        }
    }
}
