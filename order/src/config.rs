//! Settings of the order service, read once at start from the command line and the
//! environment (`order serve --help` lists every variable with its default). Every variable
//! is written out where it is declared: the order service's own here, the shared ones
//! (`LOG_FORMAT`, `HTTP_*`, `AUTH_*`, `EVENT_*`) beside the settings they configure.

use std::{path::PathBuf, time::Duration};

use checkout_auth::AuthSettings;
use checkout_bus::{
    EventSettings, RedisSettings, Transport,
    keys::{SigningSettings, VoucherVerifySettings},
};
use checkout_db::{DatabaseSettings, DatabaseUrl, cli::MigrateAction};
use checkout_http::{HttpLimits, HttpSettings};
use checkout_outbox::RetryPolicy;
use checkout_runtime::config::{LogSettings, refuse};
use clap::{Args, Parser, Subcommand};

/// `order serve | migrate ...`
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
        /// PostgreSQL URL of the order database, as the role that owns its tables. Same TLS
        /// parameters as ORDER_DATABASE_URL.
        #[arg(long, env = "ORDER_MIGRATION_DATABASE_URL", hide_env_values = true, value_parser = DatabaseUrl::parser())]
        migration_database_url: DatabaseUrl,
        #[command(flatten)]
        log: LogSettings,
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Import or export the product catalog as CSV (`sku,name,unit_price_cents`), as the
    /// service's runtime role.
    Catalog {
        /// PostgreSQL URL of the order database, as its runtime role (as for `serve`).
        #[arg(long, env = "ORDER_DATABASE_URL", hide_env_values = true, value_parser = DatabaseUrl::parser())]
        database_url: DatabaseUrl,
        #[command(flatten)]
        log: LogSettings,
        #[command(subcommand)]
        action: CatalogAction,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum CatalogAction {
    /// Create or replace every product of FILE, all in one transaction: a bad row (named by
    /// its line and field) or a failure writes nothing. Products the file does not name stay
    /// as they are. Running replicas take the change within ORDER_CATALOG_REFRESH_MS.
    Import {
        /// The CSV file; `-` reads standard input.
        file: PathBuf,
    },
    /// Write the active products to standard output, in the format `import` reads.
    Export,
}

/// Every setting of `order serve`.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Address the HTTP API binds to. Use 0.0.0.0 only behind a firewall or in a container.
    #[arg(long, env = "ORDER_HTTP_HOST", default_value = "127.0.0.1")]
    pub http_host: String,
    /// Port the HTTP API binds to.
    #[arg(long, env = "ORDER_HTTP_PORT", default_value_t = 54322)]
    pub http_port: u16,
    /// Address of the admin listener (`/health`, `/ready`, `/metrics`): keep it on loopback
    /// or a network only the operators and the orchestrator reach.
    #[arg(long, env = "ORDER_ADMIN_HOST", default_value = "127.0.0.1")]
    pub admin_host: String,
    /// Port of the admin listener.
    #[arg(long, env = "ORDER_ADMIN_PORT", default_value_t = 54332)]
    pub admin_port: u16,
    #[command(flatten)]
    pub http_limits: HttpLimits,
    /// PostgreSQL URL of the order database, as its runtime role (required). TLS with
    /// `?sslmode=verify-full&sslrootcert=<CA file>`; required to any host but this machine.
    #[arg(long, env = "ORDER_DATABASE_URL", hide_env_values = true, value_parser = DatabaseUrl::parser())]
    pub database_url: DatabaseUrl,
    /// Connections in the database pool.
    #[arg(long, env = "ORDER_DB_MAX_CONNECTIONS", default_value_t = 16,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub db_max_connections: u32,
    /// Redis carrying the events, as the order service's own user:
    /// `rediss://USER[:PASSWORD]@HOST:PORT` (TLS; the certificate must name HOST) or
    /// `redis://...`; several comma-separated seeds for a Redis Cluster.
    #[arg(
        long,
        env = "ORDER_REDIS_URL",
        default_value = "redis://127.0.0.1:6379",
        hide_env_values = true
    )]
    pub redis_url: String,
    /// A file holding the password of the URL's user, instead of a password in the URL.
    #[arg(long, env = "ORDER_REDIS_PASSWORD_FILE")]
    pub redis_password_file: Option<PathBuf>,
    /// PEM file of the certificate authority that signed Redis's certificate (`rediss://`
    /// only); without it, the Mozilla root certificates are trusted.
    #[arg(long, env = "REDIS_CA_FILE")]
    pub redis_ca_file: Option<PathBuf>,
    #[command(flatten)]
    pub events: EventSettings,
    #[command(flatten)]
    pub log: LogSettings,
    #[command(flatten)]
    pub auth: AuthSettings,
    /// The audience the order service answers to: a token's `aud` must contain it.
    #[arg(long, env = "ORDER_AUTH_AUDIENCE", default_value = "order")]
    pub auth_audience: String,
    #[command(flatten)]
    pub signing: SigningSettings,
    /// The voucher service's public keys, for the `voucher.issued` events the order service
    /// keeps its copy of the vouchers from.
    #[command(flatten)]
    pub voucher_keys: VoucherVerifySettings,
    /// This instance's stable name in the consumer group of `voucher.issued` (defaults to the
    /// host name), so that a restarted instance finds the entries it left pending.
    #[arg(long, env = "ORDER_CONSUMER_NAME", default_value_t = checkout_runtime::config::host_name())]
    pub consumer_name: String,
    /// Group commit: tasks that write new orders, each one multi-row INSERT at a time for
    /// whatever requests are waiting (each holds one pool connection while it writes).
    #[arg(long, env = "ORDER_DB_WRITERS", default_value_t = 2,
          value_parser = clap::value_parser!(u32).range(1..=64))]
    pub db_writers: u32,
    /// How often this replica checks whether the catalog changed (through another replica
    /// or `order catalog import`) and reloads it: the bound on how long a price change takes
    /// to reach its new orders (milliseconds).
    #[arg(long, env = "ORDER_CATALOG_REFRESH_MS", default_value_t = 1_000,
          value_parser = clap::value_parser!(u64).range(10..=3_600_000))]
    pub catalog_refresh_ms: u64,
    /// Outbox relay: events published per round.
    #[arg(long, env = "ORDER_RELAY_BATCH_SIZE", default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub relay_batch_size: u32,
    /// Outbox relay: how often to look for due events when nothing woke it (milliseconds).
    #[arg(long, env = "ORDER_RELAY_POLL_MS", default_value_t = 250,
          value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    pub relay_poll_ms: u64,
    /// Outbox relay, streams transport: how long a claimed batch stays hidden from other
    /// relays before it is retried, if its claimer died (milliseconds; longer than the poll
    /// interval). In pub/sub a claim lasts the acknowledgement timeout instead.
    #[arg(long, env = "ORDER_RELAY_LEASE_MS", default_value_t = 30_000,
          value_parser = clap::value_parser!(u64).range(1..=86_400_000))]
    pub relay_lease_ms: u64,
    /// Outbox relay, pub/sub transport: how long to wait for the voucher service's
    /// acknowledgement of an event before publishing it again; doubles with each attempt,
    /// up to a minute (milliseconds). The relay's claim of the event lasts as long.
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
    /// Whether the settings make sense together: the error names the variables.
    ///
    /// # Errors
    /// A lease no longer than the poll interval, authentication or the signing key not
    /// configured, an unusable Redis URL.
    pub fn check(&self) -> Result<(), clap::Error> {
        if self.relay_lease_ms <= self.relay_poll_ms {
            return Err(refuse(
                "ORDER_RELAY_LEASE_MS",
                format!(
                    "{} ms must be longer than ORDER_RELAY_POLL_MS ({} ms), or claimed events would be taken over while still being published",
                    self.relay_lease_ms, self.relay_poll_ms
                ),
            ));
        }
        self.auth.check(&self.auth_audience)?;
        self.signing.check()?;
        self.voucher_keys.check()?;
        self.redis().check("ORDER")
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

    /// The order database.
    pub fn database(&self) -> DatabaseSettings {
        DatabaseSettings {
            url: self.database_url.clone(),
            max_connections: self.db_max_connections,
            max_connections_variable: "ORDER_DB_MAX_CONNECTIONS",
        }
    }

    /// Redis, as the order service's user.
    pub fn redis(&self) -> RedisSettings {
        RedisSettings {
            redis_url: self.redis_url.clone(),
            redis_password_file: self.redis_password_file.clone(),
            redis_ca_file: self.redis_ca_file.clone(),
        }
    }

    pub fn catalog_refresh_interval(&self) -> Duration {
        Duration::from_millis(self.catalog_refresh_ms)
    }

    pub fn relay_poll_interval(&self) -> Duration {
        Duration::from_millis(self.relay_poll_ms)
    }

    /// When the relay publishes a claimed event again if nothing confirmed it: in pub/sub, the
    /// wait for the acknowledgement (doubling per attempt, up to a minute); with streams,
    /// the lease.
    pub fn relay_lease(&self) -> RetryPolicy {
        match self.events.event_transport {
            Transport::PubSub => RetryPolicy::acknowledgement(Duration::from_millis(self.relay_ack_timeout_ms)),
            Transport::Streams => RetryPolicy::fixed(Duration::from_millis(self.relay_lease_ms)),
        }
    }

    pub fn outbox_retention(&self) -> Duration {
        Duration::from_secs(3600 * self.outbox_retention_hours)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(args: &[&str]) -> String {
        let args = ["order", "serve", "--database-url", "postgres://localhost/orders"]
            .iter()
            .chain(args);
        checkout_runtime::config::parse_from::<Cli>("order", "", args)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn errors_name_the_variable() {
        for (flag, value, key) in [
            ("--http-port", "eighty", "ORDER_HTTP_PORT"),
            ("--db-max-connections", "0", "ORDER_DB_MAX_CONNECTIONS"),
            // No limit can be turned off.
            ("--rate-limit-writes-per-sec", "0", "HTTP_RATE_LIMIT_WRITES_PER_SEC"),
            ("--rate-limit-lookups-burst", "0", "HTTP_RATE_LIMIT_LOOKUPS_BURST"),
            ("--header-timeout-secs", "0", "HTTP_HEADER_TIMEOUT_SECS"),
            ("--max-connections", "0", "HTTP_MAX_CONNECTIONS"),
        ] {
            let err = refusal(&[flag, value]);
            assert!(err.contains(key), "{flag} {value}: {err}");
        }
        let err = checkout_runtime::config::parse_from::<Cli>("order", "", ["order", "serve"]).unwrap_err();
        assert!(err.to_string().contains("ORDER_DATABASE_URL"), "{err}");
    }

    #[test]
    fn a_bad_database_url_is_refused_naming_the_variable_but_not_the_password() {
        let url = "postgres://app:s3cret@db.example.com/orders?sslmode=nonsense";
        let err = checkout_runtime::config::parse_from::<Cli>("order", "", ["order", "serve", "--database-url", url])
            .unwrap_err()
            .to_string();
        assert!(err.contains("ORDER_DATABASE_URL") && err.contains("sslmode"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
    }

    #[test]
    fn the_service_defaults_are_its_own() {
        let Command::Serve(settings) = checkout_runtime::config::parse_from::<Cli>(
            "order",
            "",
            ["order", "serve", "--database-url", "postgres://localhost/orders"],
        )
        .unwrap()
        .command
        else {
            panic!("serve");
        };
        assert_eq!((settings.http_port, settings.admin_port), (54322, 54332));
        assert_eq!(settings.auth_audience, "order");
        assert_eq!(settings.database_url.variable(), "ORDER_DATABASE_URL");
    }
}
