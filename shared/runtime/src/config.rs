//! Settings, read once at start through clap, so that `<service> serve --help` lists every
//! variable with its default. Each variable is written out where it is declared: the
//! per-service ones (`ORDER_HTTP_PORT`) in the service's own `config.rs`, the shared ones
//! (`LOG_FORMAT`, `HTTP_RATE_LIMIT_WRITES_PER_SEC`, ...) beside the setting they configure.

use std::ffi::OsStr;

use clap::{Args, Command, error::ErrorKind};

use crate::telemetry::LogFormat;

/// Loads `.env` from the working directory (or a parent) if there is one; a missing file is
/// fine, because production configuration comes from the real environment.
pub fn load_dotenv() {
    let _ = dotenvy::dotenv();
}

/// How the service logs.
#[derive(Debug, Clone, Copy, Args)]
pub struct LogSettings {
    /// Log lines as `text` or `json` (one object per line). The filter is `RUST_LOG`.
    #[arg(long, env = "LOG_FORMAT", default_value = "text")]
    pub log_format: LogFormat,
}

/// Parses the command line and the environment into `C`, named `name` (`order`) in help and
/// errors. Errors name each argument's variable (`--http-port <ORDER_HTTP_PORT>`), and an
/// empty variable counts as unset, so that its default applies (compose files often pass
/// `VAR=`; clap alone would try to parse the empty string).
///
/// # Errors
/// A value is missing or does not parse: clap's error, formatted for this command, for
/// `main` to print and exit with.
pub fn parse<C: clap::Parser>(name: &'static str, about: &'static str) -> Result<C, clap::Error> {
    parse_from(name, about, std::env::args_os())
}

/// [`parse`] of the given arguments (the first is the binary's name).
///
/// # Errors
/// As [`parse`].
pub fn parse_from<C: clap::Parser>(
    name: &'static str,
    about: &'static str,
    args: impl IntoIterator<Item = impl Into<std::ffi::OsString> + Clone>,
) -> Result<C, clap::Error> {
    let mut command = named_by_variable(C::command().name(name).bin_name(name).about(about));
    let matches = command.try_get_matches_from_mut(args)?;
    C::from_arg_matches(&matches).map_err(|e| e.format(&mut command))
}

fn named_by_variable(command: Command) -> Command {
    let command = command.mut_args(|arg| {
        let Some(env) = arg.get_env().and_then(OsStr::to_str).map(str::to_owned) else {
            return arg;
        };
        let arg = arg.value_name(env.clone());
        if std::env::var_os(&env).is_some_and(|v| v.is_empty()) {
            arg.env(None::<&str>)
        } else {
            arg
        }
    });
    let subcommands: Vec<String> = command.get_subcommands().map(|s| s.get_name().to_owned()).collect();
    subcommands
        .into_iter()
        .fold(command, |command, name| command.mut_subcommand(name, named_by_variable))
}

/// The host name, which is stable across restarts of one instance and differs between
/// instances (containers and pods get their own): the default name of a stream consumer, so
/// that a restarted consumer finds its pending entries.
pub fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "consumer".to_owned())
}

/// The error for a value that parses but makes no sense, naming its variable: what the
/// settings' `check`s return, and `main` prints before it exits.
pub fn refuse(key: &str, reason: impl std::fmt::Display) -> clap::Error {
    clap::Error::raw(ErrorKind::ValueValidation, format!("{key}: {reason}\n"))
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
            #[arg(long, env = "TEST_CONFIG_PORT", default_value_t = 54322)]
            port: u16,
            #[arg(long, env = "TEST_CONFIG_NAME")]
            name: String,
        },
    }

    #[test]
    fn errors_name_the_variable() {
        let err = parse_from::<Cli>("order", "", ["order", "serve", "--name", "x", "--port", "eighty"]).unwrap_err();
        assert!(err.to_string().contains("TEST_CONFIG_PORT"), "{err}");
        let err = parse_from::<Cli>("order", "", ["order", "serve"]).unwrap_err();
        assert!(err.to_string().contains("TEST_CONFIG_NAME"), "{err}");
    }

    #[test]
    fn a_refusal_names_the_variable() {
        assert!(
            refuse("ORDER_RELAY_LEASE_MS", "too short")
                .to_string()
                .contains("ORDER_RELAY_LEASE_MS: too short")
        );
    }
}
