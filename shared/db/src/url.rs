//! A PostgreSQL URL as the services read it: checked once at start, with errors that name the
//! variable it came from, and never shown with its password.

use std::{ffi::OsStr, fmt, path::Path, str::FromStr};

use clap::{Arg, Command, builder::TypedValueParser, error::ErrorKind};
use sea_orm::sqlx::postgres::{PgConnectOptions, PgSslMode};

/// The query parameters sqlx understands; any other one is refused rather than ignored (sqlx
/// would log an unknown parameter together with its value, which may be a secret).
const PARAMETERS: &[&str] = &[
    "sslmode",
    "ssl-mode",
    "sslrootcert",
    "ssl-root-cert",
    "ssl-ca",
    "sslcert",
    "ssl-cert",
    "sslkey",
    "ssl-key",
    "statement-cache-capacity",
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "application_name",
    "options",
];

const SSL_MODES: &str = "disable, allow, prefer, require, verify-ca or verify-full";

/// A checked PostgreSQL URL. `Debug` shows it without its password.
#[derive(Clone)]
pub struct DatabaseUrl {
    text: String,
    /// For `Debug` only (boxed: it is large, and settings are moved around by value).
    options: Box<PgConnectOptions>,
    variable: String,
}

/// Why a database URL was refused. The message never repeats the URL.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InvalidDatabaseUrl(String);

fn invalid(message: impl Into<String>) -> InvalidDatabaseUrl {
    InvalidDatabaseUrl(message.into())
}

impl DatabaseUrl {
    /// Checks `text`, read from `variable` (named in later errors): a `postgres://` URL, known
    /// parameters only, a valid `sslmode`, a readable `sslrootcert`, and TLS (`sslmode=require`
    /// or stricter) to any host but this machine.
    ///
    /// # Errors
    /// The first rule `text` breaks, without repeating `text`.
    pub fn parse(variable: impl Into<String>, text: &str) -> Result<Self, InvalidDatabaseUrl> {
        let url = url::Url::parse(text).map_err(|e| {
            invalid(format!(
                "not a URL ({e}); expected postgres://user:password@host:port/database"
            ))
        })?;
        if !matches!(url.scheme(), "postgres" | "postgresql") {
            return Err(invalid(format!(
                "must start with postgres:// (not {}://)",
                url.scheme()
            )));
        }
        for (key, value) in url.query_pairs() {
            if !PARAMETERS.contains(&key.as_ref()) {
                return Err(invalid(format!("unknown parameter `{key}`")));
            }
            if matches!(key.as_ref(), "sslmode" | "ssl-mode") && PgSslMode::from_str(&value).is_err() {
                return Err(invalid(format!("sslmode must be {SSL_MODES}, not `{value}`")));
            }
            if matches!(key.as_ref(), "sslrootcert" | "ssl-root-cert" | "ssl-ca")
                && !value.trim_start().starts_with("-----BEGIN")
                && !Path::new(value.as_ref()).is_file()
            {
                return Err(invalid(format!("sslrootcert: no such file `{value}`")));
            }
        }
        let options = PgConnectOptions::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let local = options.get_socket().is_some() || checkout_runtime::net::is_loopback(options.get_host());
        let encrypted = matches!(
            options.get_ssl_mode(),
            PgSslMode::Require | PgSslMode::VerifyCa | PgSslMode::VerifyFull
        );
        if !local && !encrypted {
            return Err(invalid(format!(
                "the connection to {} would not be encrypted: add sslmode=verify-full&sslrootcert=<CA file> \
                 (or at least sslmode=require); only this machine may be reached without TLS",
                options.get_host()
            )));
        }
        Ok(Self {
            text: text.to_owned(),
            options: Box::new(options),
            variable: variable.into(),
        })
    }

    /// The URL itself, password included: for connecting, never for printing.
    pub fn expose(&self) -> &str {
        &self.text
    }

    /// The variable the URL was read from (`ORDER_DATABASE_URL`), for error messages.
    pub fn variable(&self) -> &str {
        &self.variable
    }

    /// A parser for clap whose errors name the argument's variable and never show the value
    /// (clap's own errors would print it, password and all).
    pub fn parser() -> DatabaseUrlParser {
        DatabaseUrlParser
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = &self.options;
        let host = o
            .get_socket()
            .map(|s| s.display().to_string())
            .unwrap_or_else(|| format!("{}:{}", o.get_host(), o.get_port()));
        write!(
            f,
            "postgres://{}@{host}/{} ({:?}, password hidden)",
            o.get_username(),
            o.get_database().unwrap_or_default(),
            o.get_ssl_mode()
        )
    }
}

/// See [`DatabaseUrl::parser`].
#[derive(Debug, Clone, Copy)]
pub struct DatabaseUrlParser;

impl TypedValueParser for DatabaseUrlParser {
    type Value = DatabaseUrl;

    fn parse_ref(&self, _: &Command, arg: Option<&Arg>, value: &OsStr) -> Result<DatabaseUrl, clap::Error> {
        // The variable the argument is read from (`ORDER_DATABASE_URL`).
        let variable = arg
            .and_then(|a| a.get_env().map(|env| env.to_string_lossy().into_owned()))
            .or_else(|| arg.map(|a| a.get_id().to_string()))
            .unwrap_or_else(|| "database URL".to_owned());
        let refuse =
            |reason: &dyn fmt::Display| clap::Error::raw(ErrorKind::ValueValidation, format!("{variable}: {reason}\n"));
        let text = value.to_str().ok_or_else(|| refuse(&"not valid UTF-8"))?;
        DatabaseUrl::parse(variable.clone(), text).map_err(|e| refuse(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> String {
        let message = DatabaseUrl::parse("ORDER_DATABASE_URL", text).unwrap_err().to_string();
        assert!(!message.contains("s3cret"), "the password is shown: {message}");
        message
    }

    #[test]
    fn an_unknown_ssl_mode_is_refused_by_name() {
        let message = refused("postgres://app:s3cret@localhost/orders?sslmode=nonsense");
        assert!(
            message.contains("sslmode") && message.contains("verify-full"),
            "{message}"
        );
    }

    #[test]
    fn only_this_machine_may_be_reached_without_tls() {
        for text in [
            "postgres://app:s3cret@db.example.com/orders",
            "postgres://app:s3cret@db.example.com/orders?sslmode=prefer",
            "postgres://app:s3cret@10.0.0.5/orders?sslmode=disable",
        ] {
            assert!(refused(text).contains("sslmode=verify-full"), "{text}");
        }
        for text in [
            "postgres://app:s3cret@db.example.com/orders?sslmode=require",
            "postgres://app:s3cret@db.example.com/orders?sslmode=verify-full",
            "postgres://app:s3cret@localhost:5432/orders",
            "postgres://app:s3cret@127.0.0.1:5432/orders?sslmode=disable",
            "postgres://app:s3cret@[::1]:5432/orders",
            "postgres:///orders?host=/var/run/postgresql",
        ] {
            DatabaseUrl::parse("ORDER_DATABASE_URL", text).unwrap_or_else(|e| panic!("{text}: {e}"));
        }
    }

    #[test]
    fn malformed_urls_are_refused_without_repeating_them() {
        assert!(refused("mysql://app:s3cret@localhost/orders").contains("postgres://"));
        assert!(refused("app:s3cret@localhost").contains("postgres://"));
        assert!(refused("postgres://app:s3cret@localhost/orders?passwd=s3cret").contains("`passwd`"));
        assert!(
            refused("postgres://app:s3cret@localhost/orders?sslrootcert=/nonexistent/ca.crt").contains("sslrootcert")
        );
        assert!(refused("postgres://app:s3cret@localhost:99999/orders").contains("port"));
    }

    #[test]
    fn debug_hides_the_password() {
        let url = DatabaseUrl::parse("X", "postgres://app:s3cret@localhost:5432/orders").unwrap();
        let shown = format!("{url:?}");
        assert!(
            !shown.contains("s3cret") && shown.contains("app@localhost:5432/orders"),
            "{shown}"
        );
    }
}
