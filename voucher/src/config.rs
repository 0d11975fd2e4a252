//! Settings of the voucher service, read once at start from the command line and the
//! environment (`voucher serve --help` lists every variable with its default). Every variable
//! is written out where it is declared: the voucher service's own here, the shared ones
//! (`LOG_FORMAT`, `HTTP_*`, `AUTH_*`, `EVENT_*`) beside the settings they configure.

use std::{path::PathBuf, time::Duration};

use checkout_auth::AuthSettings;
use checkout_bus::{
    EventSettings, RedisSettings,
    keys::{VerifySettings, VoucherSigningSettings},
};
use checkout_db::{DatabaseSettings, DatabaseUrl, cli::MigrateAction};
use checkout_http::{HttpLimits, HttpSettings};
use checkout_runtime::config::{LogSettings, refuse};
use clap::{Args, Parser, Subcommand};

use crate::application::domain::{Cents, Currency, Validity, VoucherPolicy};

/// `voucher serve | migrate ...`
#[derive(Debug, Parser)]
#[command(version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API and process events until SIGINT or SIGTERM.
    Serve(Box<Settings>),
    /// Apply or inspect database migrations, as the role that owns the schema.
    Migrate {
        /// PostgreSQL URL of the voucher database, as the role that owns its tables. Same TLS
        /// parameters as VOUCHER_DATABASE_URL.
        #[arg(long, env = "VOUCHER_MIGRATION_DATABASE_URL", hide_env_values = true, value_parser = DatabaseUrl::parser())]
        migration_database_url: DatabaseUrl,
        #[command(flatten)]
        log: LogSettings,
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Compare every voucher with the order service's copy and print each difference: a
    /// voucher missing from either side, a field that differs, or a disagreement on which
    /// order holds or spent it. Exits 0 when they agree, 1 when they differ. Run it once
    /// events have settled: one still on its way shows as a difference until it arrives.
    Reconcile {
        /// PostgreSQL URL of the voucher database (as for `serve`).
        #[arg(long, env = "VOUCHER_DATABASE_URL", hide_env_values = true, value_parser = DatabaseUrl::parser())]
        database_url: DatabaseUrl,
        /// PostgreSQL URL of the order database, as a role that may read its `vouchers` table.
        #[arg(long, env = "RECONCILE_ORDER_DATABASE_URL", hide_env_values = true, value_parser = DatabaseUrl::parser())]
        order_database_url: DatabaseUrl,
        #[command(flatten)]
        log: LogSettings,
    },
}

/// Every setting of `voucher serve`.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Address the HTTP API binds to. Use 0.0.0.0 only behind a firewall or in a container.
    #[arg(long, env = "VOUCHER_HTTP_HOST", default_value = "127.0.0.1")]
    pub http_host: String,
    /// Port the HTTP API binds to.
    #[arg(long, env = "VOUCHER_HTTP_PORT", default_value_t = 54323)]
    pub http_port: u16,
    /// Address of the admin listener (`/health`, `/ready`, `/metrics`): keep it on loopback
    /// or a network only the operators and the orchestrator reach.
    #[arg(long, env = "VOUCHER_ADMIN_HOST", default_value = "127.0.0.1")]
    pub admin_host: String,
    /// Port of the admin listener.
    #[arg(long, env = "VOUCHER_ADMIN_PORT", default_value_t = 54333)]
    pub admin_port: u16,
    #[command(flatten)]
    pub http_limits: HttpLimits,
    /// PostgreSQL URL of the voucher database, as its runtime role (required). TLS with
    /// `?sslmode=verify-full&sslrootcert=<CA file>`; required to any host but this machine.
    #[arg(long, env = "VOUCHER_DATABASE_URL", hide_env_values = true, value_parser = DatabaseUrl::parser())]
    pub database_url: DatabaseUrl,
    /// Connections in the database pool.
    #[arg(long, env = "VOUCHER_DB_MAX_CONNECTIONS", default_value_t = 16,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub db_max_connections: u32,
    /// Redis carrying the events, as the voucher service's own user:
    /// `rediss://USER[:PASSWORD]@HOST:PORT` (TLS; the certificate must name HOST) or
    /// `redis://...`; several comma-separated seeds for a Redis Cluster.
    #[arg(
        long,
        env = "VOUCHER_REDIS_URL",
        default_value = "redis://127.0.0.1:6379",
        hide_env_values = true
    )]
    pub redis_url: String,
    /// A file holding the password of the URL's user, instead of a password in the URL.
    #[arg(long, env = "VOUCHER_REDIS_PASSWORD_FILE")]
    pub redis_password_file: Option<PathBuf>,
    /// PEM file of the certificate authority that signed Redis's certificate (`rediss://`
    /// only); without it, the Mozilla root certificates are trusted.
    #[arg(long, env = "REDIS_CA_FILE")]
    pub redis_ca_file: Option<PathBuf>,
    #[command(flatten)]
    pub events: EventSettings,
    #[command(flatten)]
    pub log: LogSettings,
    /// How access tokens are verified.
    #[command(flatten)]
    pub auth: AuthSettings,
    /// The audience the voucher service answers to: a token's `aud` must contain it.
    #[arg(long, env = "VOUCHER_AUTH_AUDIENCE", default_value = "voucher")]
    pub auth_audience: String,
    #[command(flatten)]
    pub verify: VerifySettings,
    /// An order earns a voucher when its total is strictly greater than this (cents, EUR).
    #[arg(long, env = "VOUCHER_THRESHOLD_CENTS", default_value_t = VoucherPolicy::DEFAULT_THRESHOLD_CENTS)]
    pub threshold_cents: i64,
    /// Value of each voucher (cents, EUR); at least 1.
    #[arg(long, env = "VOUCHER_AMOUNT_CENTS", default_value_t = VoucherPolicy::DEFAULT_AMOUNT_CENTS)]
    pub amount_cents: i64,
    /// How long a voucher can be spent after it is issued, in seconds (default 90 days; from
    /// 1 second to 10 years). Orders already holding a voucher keep it past its expiry.
    #[arg(long, env = "VOUCHER_VALIDITY_SECONDS", default_value_t = Validity::DEFAULT_SECONDS,
          value_parser = clap::value_parser!(u64).range(1..=Validity::MAX.as_secs()))]
    pub validity_seconds: u64,
    /// The voucher service's signing key, for the `voucher.issued` events it publishes.
    #[command(flatten)]
    pub signing: VoucherSigningSettings,
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
    #[arg(long, env = "VOUCHER_CONSUMER_NAME", default_value_t = checkout_runtime::config::host_name())]
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
    /// Whether the settings make sense: a policy that makes no sense or authentication that
    /// is not configured is refused (vouchers are never served unchecked), naming the
    /// variable.
    ///
    /// # Errors
    /// The first setting refused.
    pub fn check(&self) -> Result<(), clap::Error> {
        self.try_policy().map_err(|(key, reason)| refuse(key, reason))?;
        self.auth.check(&self.auth_audience)?;
        self.verify.check()?;
        self.signing.check()?;
        self.redis().check("VOUCHER")
    }
    /// Where the service listens.
    pub fn http(&self) -> HttpSettings {
        HttpSettings {
            http_host: self.http_host.clone(),
            http_port: self.http_port,
            admin_host: self.admin_host.clone(),
            admin_port: self.admin_port,
            limits: self.http_limits.clone(),
        }
    }

    /// The voucher database.
    pub fn database(&self) -> DatabaseSettings {
        DatabaseSettings {
            url: self.database_url.clone(),
            max_connections: self.db_max_connections,
            max_connections_variable: "VOUCHER_DB_MAX_CONNECTIONS",
        }
    }

    /// Redis, as the voucher service's user.
    pub fn redis(&self) -> RedisSettings {
        RedisSettings {
            redis_url: self.redis_url.clone(),
            redis_password_file: self.redis_password_file.clone(),
            redis_ca_file: self.redis_ca_file.clone(),
        }
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

    /// How long a voucher can be spent after it is issued.
    pub fn validity(&self) -> Validity {
        Validity::new(Duration::from_secs(self.validity_seconds)).expect("the range is checked when it is read")
    }

    pub fn claim_idle(&self) -> Duration {
        Duration::from_millis(self.claim_idle_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(threshold_cents: i64, amount_cents: i64) -> Settings {
        let threshold = format!("--threshold-cents={threshold_cents}");
        let amount = format!("--amount-cents={amount_cents}");
        let args = [
            "voucher",
            "serve",
            "--database-url",
            "postgres://localhost/vouchers",
            &threshold,
            &amount,
        ];
        match checkout_runtime::config::parse_from::<Cli>("voucher", "", args)
            .unwrap()
            .command
        {
            Command::Serve(settings) => *settings,
            other => panic!("{other:?}"),
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

    #[test]
    fn the_service_defaults_are_its_own() {
        let settings = settings(10_000, 500);
        assert_eq!((settings.http_port, settings.admin_port), (54323, 54333));
        assert_eq!(settings.auth_audience, "voucher");
        assert_eq!(settings.database_url.variable(), "VOUCHER_DATABASE_URL");
    }
}
