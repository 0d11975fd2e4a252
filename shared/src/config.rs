//! Reading typed settings from the environment, failing with the variable's name.

use std::{fmt::Display, str::FromStr};

/// A configuration variable that is missing or cannot be parsed.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {key} is required but not set")]
    Missing { key: String },
    #[error("environment variable {key} has an invalid value: {reason}")]
    Invalid { key: String, reason: String },
}

/// Loads `.env` from the working directory (or a parent) if there is one; a missing file is
/// fine, because production configuration comes from the real environment.
pub fn load_dotenv() {
    let _ = dotenvy::dotenv();
}

/// Reads a required variable.
///
/// # Errors
/// [`ConfigError::Missing`] when unset or empty, [`ConfigError::Invalid`] when it does not parse.
pub fn required<T>(key: &str) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: Display,
{
    match optional(key)? {
        Some(value) => Ok(value),
        None => Err(ConfigError::Missing { key: key.into() }),
    }
}

/// Reads a variable, falling back to `default` when it is unset or empty.
///
/// # Errors
/// [`ConfigError::Invalid`] when it is set and does not parse.
pub fn or_default<T>(key: &str, default: T) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: Display,
{
    Ok(optional(key)?.unwrap_or(default))
}

fn optional<T>(key: &str) -> Result<Option<T>, ConfigError>
where
    T: FromStr,
    T::Err: Display,
{
    match std::env::var(key) {
        Ok(raw) => parse_raw(key, &raw),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(ConfigError::Invalid {
            key: key.into(),
            reason: "not valid UTF-8".into(),
        }),
    }
}

fn parse_raw<T>(key: &str, raw: &str) -> Result<Option<T>, ConfigError>
where
    T: FromStr,
    T::Err: Display,
{
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse().map(Some).map_err(|e: T::Err| ConfigError::Invalid {
        key: key.into(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_value_counts_as_unset() {
        assert_eq!(parse_raw::<u16>("PORT", "  ").unwrap(), None);
    }

    #[test]
    fn a_bad_value_names_the_variable() {
        let err = parse_raw::<u16>("ORDER_HTTP_PORT", "eighty").unwrap_err();
        assert!(err.to_string().contains("ORDER_HTTP_PORT"), "{err}");
    }

    #[test]
    fn a_missing_required_variable_names_itself() {
        let err = required::<String>("SURELY_NOT_SET_IN_ANY_ENVIRONMENT_42").unwrap_err();
        assert!(matches!(err, ConfigError::Missing { ref key } if key == "SURELY_NOT_SET_IN_ANY_ENVIRONMENT_42"));
    }
}
