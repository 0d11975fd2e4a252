//! Settings of the order service, read once at start from the command line and the
//! environment (`order serve --help` lists every variable with its default).

use std::time::Duration;

use clap::Args;
use shared::{
    auth::AuthSettings,
    config::{CommonSettings, DatabaseSettings, HttpSettings, refuse},
    signing::SigningSettings,
};

/// The order service's own defaults for the shared per-service keys.
pub const DEFAULTS: &[(&str, &str)] = &[
    ("http_port", "54322"),
    ("admin_port", "54332"),
    ("auth_audience", "order"),
];

/// Every setting of `order serve`.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    #[command(flatten)]
    pub http: HttpSettings,
    #[command(flatten)]
    pub database: DatabaseSettings,
    #[command(flatten)]
    pub common: CommonSettings,
    #[command(flatten)]
    pub auth: AuthSettings,
    #[command(flatten)]
    pub signing: SigningSettings,
    /// Group commit: tasks that write new orders, each one multi-row INSERT at a time for
    /// whatever requests are waiting (each holds one pool connection while it writes).
    #[arg(long, env = "ORDER_DB_WRITERS", default_value_t = 2,
          value_parser = clap::value_parser!(u32).range(1..=64))]
    pub db_writers: u32,
    /// Outbox relay: events published per round.
    #[arg(long, env = "ORDER_RELAY_BATCH_SIZE", default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub relay_batch_size: u32,
    /// Outbox relay: how often to look for due events when nothing woke it (milliseconds).
    #[arg(long, env = "ORDER_RELAY_POLL_MS", default_value_t = 250,
          value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    pub relay_poll_ms: u64,
    /// Outbox relay: how long a claimed batch stays hidden from other relays before it is
    /// retried, if its claimer died (milliseconds; longer than the poll interval).
    #[arg(long, env = "ORDER_RELAY_LEASE_MS", default_value_t = 30_000,
          value_parser = clap::value_parser!(u64).range(1..=86_400_000))]
    pub relay_lease_ms: u64,
    /// Outbox relay, pub/sub transport: how long to wait for the voucher service's
    /// acknowledgement of an event before publishing it again; doubles with each attempt,
    /// up to a minute (milliseconds).
    #[arg(long, env = "ORDER_RELAY_ACK_TIMEOUT_MS", default_value_t = 5_000,
          value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    pub relay_ack_timeout_ms: u64,
    /// Streams transport: replicas of the stream's Redis node that must confirm each batch
    /// of events (`WAIT`) before it counts as delivered, so that it survives a failover.
    /// Default: 1 on a Redis Cluster, 0 (no waiting) on a single server.
    #[arg(long, env = "ORDER_REDIS_WAIT_REPLICAS", value_parser = clap::value_parser!(u32).range(0..=16))]
    pub redis_wait_replicas: Option<u32>,
    /// Streams transport: how long to wait for those replicas before the batch is published
    /// again (milliseconds).
    #[arg(long, env = "ORDER_REDIS_WAIT_TIMEOUT_MS", default_value_t = 1_000,
          value_parser = clap::value_parser!(u64).range(1..=60_000))]
    pub redis_wait_timeout_ms: u64,
    /// How long published outbox events are kept (for inspection and replay) before the
    /// hourly purge removes them (hours).
    #[arg(long, env = "ORDER_OUTBOX_RETENTION_HOURS", default_value_t = 168,
          value_parser = clap::value_parser!(u64).range(1..=87_600))]
    pub outbox_retention_hours: u64,
}

impl Settings {
    /// Stops the service, naming the variables, when settings contradict each other.
    pub fn check(self) -> Self {
        if self.relay_lease_ms <= self.relay_poll_ms {
            refuse(
                "ORDER_RELAY_LEASE_MS",
                format!(
                    "{} ms must be longer than ORDER_RELAY_POLL_MS ({} ms), or claimed events would be taken over while still being published",
                    self.relay_lease_ms, self.relay_poll_ms
                ),
            );
        }
        self.auth.check();
        self.signing.check();
        self.common.redis.check("ORDER");
        self
    }

    pub fn relay_poll_interval(&self) -> Duration {
        Duration::from_millis(self.relay_poll_ms)
    }

    pub fn relay_lease(&self) -> Duration {
        Duration::from_millis(self.relay_lease_ms)
    }

    pub fn relay_ack_timeout(&self) -> Duration {
        Duration::from_millis(self.relay_ack_timeout_ms)
    }

    pub fn outbox_retention(&self) -> Duration {
        Duration::from_secs(3600 * self.outbox_retention_hours)
    }

    /// Settings for tests: the given database, Redis and token issuer, events signed with
    /// the Ed25519 key `signing_key_pem`, an ephemeral port, defaults elsewhere.
    pub fn for_tests(
        database_url: String,
        redis_url: String,
        order_sent_channel: String,
        auth: AuthSettings,
        signing_key_pem: &str,
    ) -> Self {
        Self {
            auth,
            signing: SigningSettings {
                event_signing_key: Some(signing_key_pem.to_owned()),
            },
            http: HttpSettings::ephemeral(),
            database: DatabaseSettings::for_tests(database_url),
            common: CommonSettings::for_tests(redis_url, order_sent_channel),
            db_writers: 2,
            relay_batch_size: 100,
            relay_poll_ms: 50,
            relay_lease_ms: 30_000,
            relay_ack_timeout_ms: 1_000,
            redis_wait_replicas: None,
            redis_wait_timeout_ms: 1_000,
            outbox_retention_hours: 168,
        }
    }
}
