//! Configuration: every variable of both services, read once at start through clap (so
//! `<service> serve --help` lists each with its default), and the keys both services share,
//! defined once here.
//!
//! Per-service keys are declared with a `SERVICE_` prefix (`SERVICE_HTTP_PORT`);
//! [`parse_for_service`] renames them (`ORDER_HTTP_PORT`) and sets the service's defaults.

use std::ffi::OsStr;

use clap::{Args, Command, error::ErrorKind};

use crate::{
    bus::{RedisSettings, Transport},
    db::DatabaseUrl,
    events::CHANNEL_ORDER_SENT,
    telemetry::LogFormat,
};

mod http;

pub use http::{HttpLimits, HttpSettings};

/// The prefix of per-service variables, replaced by the service's own name.
const SERVICE_PREFIX: &str = "SERVICE_";

/// Default of `HTTP_MAX_BODY_BYTES`.
const DEFAULT_MAX_BODY_BYTES: u64 = 64 * 1024;

/// Loads `.env` from the working directory (or a parent) if there is one; a missing file is
/// fine, because production configuration comes from the real environment.
pub fn load_dotenv() {
    let _ = dotenvy::dotenv();
}

/// Keys both services read the same way.
#[derive(Debug, Clone, Args)]
pub struct CommonSettings {
    /// The service's Redis user and address. Per service: `ORDER_REDIS_URL`, ...
    #[command(flatten)]
    pub redis: RedisSettings,
    /// How events travel: `pubsub` or `streams`. Both services must agree.
    #[arg(long, env = "EVENT_TRANSPORT", default_value = "pubsub")]
    pub event_transport: Transport,
    /// Channel (pubsub) or stream key (streams) of order.sent events. Both services must agree.
    #[arg(long, env = "ORDER_SENT_CHANNEL", default_value = CHANNEL_ORDER_SENT)]
    pub order_sent_channel: String,
    /// Largest accepted request body in bytes; larger bodies get 413.
    #[arg(long, env = "HTTP_MAX_BODY_BYTES", default_value_t = DEFAULT_MAX_BODY_BYTES,
          value_parser = clap::value_parser!(u64).range(1..=64 * 1024 * 1024))]
    pub max_body_bytes: u64,
    #[command(flatten)]
    pub log: LogSettings,
}

/// How the service logs.
#[derive(Debug, Clone, Copy, Args)]
pub struct LogSettings {
    /// Log lines as `text` or `json` (one object per line). The filter is `RUST_LOG`.
    #[arg(long, env = "LOG_FORMAT", default_value = "text")]
    pub log_format: LogFormat,
}

/// The service's PostgreSQL database, as the role `serve` runs with: it may read and write
/// rows, not change the schema. Per service: `ORDER_DATABASE_URL`, ...
#[derive(Debug, Clone, Args)]
pub struct DatabaseSettings {
    /// PostgreSQL URL of the service's database, as its runtime role (required). TLS with
    /// `?sslmode=verify-full&sslrootcert=<CA file>`; required to any host but this machine.
    #[arg(long, env = "SERVICE_DATABASE_URL", hide_env_values = true, value_parser = DatabaseUrl::parser())]
    pub database_url: DatabaseUrl,
    /// Connections in the database pool.
    #[arg(long, env = "SERVICE_DB_MAX_CONNECTIONS", default_value_t = 16,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub db_max_connections: u32,
}

/// The service's database as the role that owns its schema, for `migrate` only. Per service:
/// `ORDER_MIGRATION_DATABASE_URL`, ...
#[derive(Debug, Clone, Args)]
pub struct MigrationDatabaseSettings {
    /// PostgreSQL URL of the service's database, as the role that owns its tables (required
    /// by `migrate`). Same TLS parameters as SERVICE_DATABASE_URL.
    #[arg(long, env = "SERVICE_MIGRATION_DATABASE_URL", hide_env_values = true, value_parser = DatabaseUrl::parser())]
    pub migration_database_url: DatabaseUrl,
}

impl CommonSettings {
    /// Settings for tests: the given Redis URL (with its credentials) and channel, defaults
    /// elsewhere.
    pub fn for_tests(redis_url: String, order_sent_channel: String) -> Self {
        Self {
            redis: RedisSettings::for_tests(redis_url),
            event_transport: Transport::PubSub,
            order_sent_channel,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            log: LogSettings {
                log_format: LogFormat::Text,
            },
        }
    }
}

impl DatabaseSettings {
    /// Opens the service's pool and logs whether it fits the database's connection limit;
    /// `service` is the variables' prefix (`ORDER`).
    ///
    /// # Errors
    /// The database cannot be reached; the message names the URL's variable.
    pub async fn connect(&self, service: &str) -> anyhow::Result<sea_orm::DatabaseConnection> {
        use anyhow::Context as _;
        let db = crate::db::connect(&self.database_url, self.db_max_connections)
            .await
            .with_context(|| format!("cannot connect to PostgreSQL at {}", self.database_url.variable()))?;
        crate::db::log_connection_budget(&db, self.db_max_connections, &format!("{service}_DB_MAX_CONNECTIONS")).await;
        Ok(db)
    }

    /// The given database with a small pool: for tests.
    ///
    /// # Panics
    /// `database_url` is not a valid database URL.
    pub fn for_tests(database_url: String) -> Self {
        Self {
            database_url: DatabaseUrl::parse("the test database URL", &database_url)
                .expect("a valid test database URL"),
            db_max_connections: 8,
        }
    }
}

/// Parses the command line and the environment for service `name` (`order`): renames the
/// `SERVICE_` variables to `ORDER_`, applies `defaults` (argument id, value), names each
/// argument's variable in errors and help, then exits with clap's message on an error.
pub fn parse_for_service<C: clap::Parser>(name: &'static str, about: &'static str, defaults: &[(&str, &str)]) -> C {
    let command = C::command().name(name).bin_name(name).about(about);
    let command = for_service(command, &format!("{}_", name.to_ascii_uppercase()), defaults);
    let matches = command.clone().get_matches();
    C::from_arg_matches(&matches).unwrap_or_else(|e| e.format(&mut command.clone()).exit())
}

pub(crate) fn for_service(command: Command, prefix: &str, defaults: &[(&str, &str)]) -> Command {
    let command = command.mut_args(|arg| {
        let Some(env) = arg.get_env().and_then(OsStr::to_str).map(str::to_owned) else {
            return arg;
        };
        let env = match env.strip_prefix(SERVICE_PREFIX) {
            Some(rest) => format!("{prefix}{rest}"),
            None => env,
        };
        let arg = match defaults.iter().find(|(id, _)| *id == arg.get_id().as_str()) {
            Some((_, value)) => arg.default_value(value.to_string()).required(false),
            None => arg,
        };
        // Errors then say `--http-port <ORDER_HTTP_PORT>`: the variable a deployment sets.
        let arg = arg.value_name(env.clone());
        // An empty variable counts as unset (compose files often pass `VAR=`), so its
        // default applies; clap alone would try to parse the empty string.
        if std::env::var_os(&env).is_some_and(|v| v.is_empty()) {
            arg.env(None::<&str>)
        } else {
            arg.env(env)
        }
    });
    let subcommands: Vec<String> = command.get_subcommands().map(|s| s.get_name().to_owned()).collect();
    subcommands.into_iter().fold(command, |command, name| {
        command.mut_subcommand(name, |sub| for_service(sub, prefix, defaults))
    })
}

/// Stops the service at start for a value that parses but makes no sense, naming its variable.
pub fn refuse(key: &str, reason: impl std::fmt::Display) -> ! {
    clap::Error::raw(ErrorKind::ValueValidation, format!("{key}: {reason}\n")).exit()
}

#[cfg(test)]
mod tests {
    use clap::{Parser, Subcommand};

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(subcommand)]
        command: Sub,
    }

    #[derive(Debug, Subcommand)]
    enum Sub {
        Serve {
            #[command(flatten)]
            http: HttpSettings,
            #[command(flatten)]
            database: DatabaseSettings,
        },
    }

    fn command() -> Command {
        for_service(
            <Cli as clap::CommandFactory>::command(),
            "ORDER_",
            &[("http_port", "54322"), ("admin_port", "54332")],
        )
    }

    #[test]
    fn service_variables_take_the_service_prefix_and_its_defaults() {
        let serve = command().find_subcommand("serve").unwrap().clone();
        let port = serve.get_arguments().find(|a| a.get_id() == "http_port").unwrap();
        assert_eq!(port.get_env().unwrap(), "ORDER_HTTP_PORT");
        assert_eq!(port.get_default_values(), ["54322"]);
        let admin = serve.get_arguments().find(|a| a.get_id() == "admin_port").unwrap();
        assert_eq!(admin.get_env().unwrap(), "ORDER_ADMIN_PORT");
        assert_eq!(admin.get_default_values(), ["54332"]);
        let url = serve.get_arguments().find(|a| a.get_id() == "database_url").unwrap();
        assert_eq!(url.get_env().unwrap(), "ORDER_DATABASE_URL");
        assert!(url.is_hide_env_values_set(), "the database URL may hold a password");
    }

    #[test]
    fn errors_name_the_variable() {
        // `order serve` with a usable database URL and one bad setting: the message.
        let refusal = |flag: &str, value: &str| {
            command()
                .try_get_matches_from([
                    "order",
                    "serve",
                    "--database-url",
                    "postgres://localhost/orders",
                    flag,
                    value,
                ])
                .unwrap_err()
                .to_string()
        };
        for (flag, value, key) in [
            ("--http-port", "eighty", "ORDER_HTTP_PORT"),
            ("--db-max-connections", "0", "ORDER_DB_MAX_CONNECTIONS"),
            // No limit can be turned off.
            ("--rate-limit-writes-per-sec", "0", "HTTP_RATE_LIMIT_WRITES_PER_SEC"),
            ("--rate-limit-lookups-burst", "0", "HTTP_RATE_LIMIT_LOOKUPS_BURST"),
            ("--header-timeout-secs", "0", "HTTP_HEADER_TIMEOUT_SECS"),
            ("--max-connections", "0", "HTTP_MAX_CONNECTIONS"),
        ] {
            let err = refusal(flag, value);
            assert!(err.contains(key), "{flag} {value}: {err}");
        }
        let err = command().try_get_matches_from(["order", "serve"]).unwrap_err();
        assert!(err.to_string().contains("ORDER_DATABASE_URL"), "{err}");
    }

    #[test]
    fn a_bad_database_url_is_refused_naming_the_variable_but_not_the_password() {
        let url = "postgres://app:s3cret@db.example.com/orders?sslmode=nonsense";
        let err = command()
            .try_get_matches_from(["order", "serve", "--http-port", "1", "--database-url", url])
            .unwrap_err()
            .to_string();
        assert!(err.contains("ORDER_DATABASE_URL") && err.contains("sslmode"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
    }
}
