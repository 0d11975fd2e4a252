//! Settings of the voucher service, read once at start from the command line and the
//! environment (`voucher serve --help` lists every variable with its default).

use std::time::Duration;

use clap::Args;
use shared::{
    auth::AuthSettings,
    config::{CommonSettings, DatabaseSettings, HttpSettings, refuse},
    signing::VerifySettings,
};

use crate::application::domain::{Cents, Currency, VoucherPolicy};

/// The voucher service's own defaults for the shared per-service keys.
pub const DEFAULTS: &[(&str, &str)] = &[
    ("http_port", "54323"),
    ("admin_port", "54333"),
    ("auth_audience", "voucher"),
];

/// Every setting of `voucher serve`.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    #[command(flatten)]
    pub http: HttpSettings,
    #[command(flatten)]
    pub database: DatabaseSettings,
    #[command(flatten)]
    pub common: CommonSettings,
    /// How access tokens are verified; the audience is `VOUCHER_AUTH_AUDIENCE`.
    #[command(flatten)]
    pub auth: AuthSettings,
    #[command(flatten)]
    pub verify: VerifySettings,
    /// An order earns a voucher when its total is strictly greater than this (cents, EUR).
    #[arg(long, env = "VOUCHER_THRESHOLD_CENTS", default_value_t = VoucherPolicy::DEFAULT_THRESHOLD_CENTS)]
    pub threshold_cents: i64,
    /// Value of each voucher (cents, EUR); at least 1.
    #[arg(long, env = "VOUCHER_AMOUNT_CENTS", default_value_t = VoucherPolicy::DEFAULT_AMOUNT_CENTS)]
    pub amount_cents: i64,
    /// Group commit: tasks that write new vouchers, each one multi-row INSERT at a time for
    /// the vouchers of whatever events are waiting (each holds one pool connection while it
    /// writes); a lone voucher is written at once.
    #[arg(long, env = "VOUCHER_DB_WRITERS", default_value_t = 2,
          value_parser = clap::value_parser!(u32).range(1..=64))]
    pub db_writers: u32,
    /// Events processed at the same time.
    #[arg(long, env = "VOUCHER_CONSUMER_CONCURRENCY", default_value_t = 16,
          value_parser = clap::value_parser!(u64).range(1..=1_024))]
    pub consumer_concurrency: u64,
    /// Pub/sub messages that may wait in memory while all workers are busy (more are dropped,
    /// and the order service publishes them again).
    #[arg(long, env = "VOUCHER_CONSUMER_QUEUE", default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub consumer_queue: u64,
    /// Attempts before an event is moved to the dead-letter stream `{<ORDER_SENT_CHANNEL>}.dead`.
    #[arg(long, env = "VOUCHER_MAX_DELIVERIES", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..=1_000))]
    pub max_deliveries: u32,
    /// Entries the dead-letter stream keeps; each new one beyond that drops the oldest.
    #[arg(long, env = "VOUCHER_DEAD_LETTER_MAX_LEN", default_value_t = 100_000,
          value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub dead_letter_max_len: u64,
    /// Streams: the consumer group.
    #[arg(long, env = "VOUCHER_CONSUMER_GROUP", default_value = "voucher")]
    pub consumer_group: String,
    /// Streams: this instance's stable name in the group (defaults to the host name).
    #[arg(long, env = "VOUCHER_CONSUMER_NAME", default_value_t = default_consumer_name())]
    pub consumer_name: String,
    /// Streams: entries read per round.
    #[arg(long, env = "VOUCHER_CONSUMER_BATCH", default_value_t = 64,
          value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub consumer_batch: u64,
    /// Streams: idle time after which another consumer's pending entries are taken over (milliseconds).
    #[arg(long, env = "VOUCHER_CLAIM_IDLE_MS", default_value_t = 30_000,
          value_parser = clap::value_parser!(u64).range(1..=86_400_000))]
    pub claim_idle_ms: u64,
}

impl Settings {
    /// Stops the service, naming the variable, for a policy that makes no sense or for
    /// authentication that is not configured: vouchers are never served unchecked.
    pub fn check(self) -> Self {
        self.try_policy().unwrap_or_else(|(key, reason)| refuse(key, reason));
        self.auth.check();
        self.verify.check();
        self.common.redis.check("VOUCHER");
        self
    }

    fn try_policy(&self) -> Result<VoucherPolicy, (&'static str, String)> {
        let threshold = Cents::new(self.threshold_cents).map_err(|e| ("VOUCHER_THRESHOLD_CENTS", e.to_string()))?;
        let amount = Cents::new(self.amount_cents).map_err(|e| ("VOUCHER_AMOUNT_CENTS", e.to_string()))?;
        VoucherPolicy::new(threshold, amount, Currency::Eur).map_err(|e| ("VOUCHER_AMOUNT_CENTS", e.to_string()))
    }

    /// The voucher policy these settings describe.
    ///
    /// # Panics
    /// For settings that did not pass [`Settings::check`].
    pub fn policy(&self) -> VoucherPolicy {
        self.try_policy()
            .unwrap_or_else(|(key, reason)| panic!("{key}: {reason}"))
    }

    pub fn claim_idle(&self) -> Duration {
        Duration::from_millis(self.claim_idle_ms)
    }

    /// Settings for tests: the given database, Redis, token issuer and trusted event keys
    /// (`event_keys`, a JWKS), an ephemeral port, defaults elsewhere.
    pub fn for_tests(
        database_url: String,
        redis_url: String,
        order_sent_channel: String,
        auth: AuthSettings,
        event_keys: &str,
    ) -> Self {
        Self {
            verify: VerifySettings {
                event_verify_keys: Some(event_keys.to_owned()),
            },
            http: HttpSettings::ephemeral(),
            database: DatabaseSettings::for_tests(database_url),
            common: CommonSettings::for_tests(redis_url, order_sent_channel),
            auth,
            threshold_cents: VoucherPolicy::DEFAULT_THRESHOLD_CENTS,
            amount_cents: VoucherPolicy::DEFAULT_AMOUNT_CENTS,
            db_writers: 2,
            consumer_concurrency: 8,
            consumer_queue: 10_000,
            max_deliveries: 5,
            dead_letter_max_len: 100_000,
            consumer_group: "voucher".to_owned(),
            consumer_name: "voucher-test".to_owned(),
            consumer_batch: 64,
            claim_idle_ms: 30_000,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(threshold_cents: i64, amount_cents: i64) -> Settings {
        let auth = AuthSettings {
            auth_issuer: None,
            auth_jwks_url: None,
            auth_jwks_file: None,
            auth_leeway_secs: 30,
            auth_jwks_refetch_secs: 5,
            auth_jwks_max_age_secs: 300,
            auth_audience: None,
        };
        Settings {
            threshold_cents,
            amount_cents,
            ..Settings::for_tests(
                "postgres://localhost/vouchers".to_owned(),
                String::new(),
                String::new(),
                auth,
                "{}",
            )
        }
    }

    #[test]
    fn a_negative_threshold_or_a_worthless_voucher_is_refused_by_name() {
        assert_eq!(settings(-1, 500).try_policy().unwrap_err().0, "VOUCHER_THRESHOLD_CENTS");
        assert_eq!(settings(10_000, -5).try_policy().unwrap_err().0, "VOUCHER_AMOUNT_CENTS");
        assert_eq!(settings(10_000, 0).try_policy().unwrap_err().0, "VOUCHER_AMOUNT_CENTS");
        assert_eq!(
            settings(0, 1).policy(),
            VoucherPolicy::new(Cents::ZERO, Cents::new(1).unwrap(), Currency::Eur).unwrap()
        );
    }
}
