use std::{path::PathBuf, sync::Arc, time::Duration};

use clap::Args;

use super::{KeySetError, KeySource, TokenVerifier};

/// How a service verifies access tokens. The audience is per service: each service declares
/// its variable (`ORDER_AUTH_AUDIENCE`) and passes the value.
#[derive(Debug, Clone, Args)]
pub struct AuthSettings {
    /// The identity provider's issuer: a token's `iss` must equal it.
    #[arg(long, env = "AUTH_ISSUER")]
    pub auth_issuer: Option<String>,
    /// The identity provider's JWKS URL (`jwks_uri`). Set it or AUTH_JWKS_FILE.
    #[arg(long, env = "AUTH_JWKS_URL", value_parser = parse_jwks_url, conflicts_with = "auth_jwks_file")]
    pub auth_jwks_url: Option<reqwest::Url>,
    /// A JWKS file, for local development. Set it or AUTH_JWKS_URL.
    #[arg(long, env = "AUTH_JWKS_FILE")]
    pub auth_jwks_file: Option<PathBuf>,
    /// Seconds of clock skew allowed on a token's `exp` and `nbf`.
    #[arg(long, env = "AUTH_LEEWAY_SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(0..=300))]
    pub auth_leeway_secs: u64,
    /// The shortest time between two JWKS fetches caused by tokens naming an unknown key
    /// (seconds): a new key is picked up this long after rotation at the latest.
    #[arg(long, env = "AUTH_JWKS_REFETCH_SECS", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub auth_jwks_refetch_secs: u64,
    /// How old the issuer's key set may grow before it is fetched again (seconds): a key the
    /// issuer retired stops verifying tokens by then.
    #[arg(long, env = "AUTH_JWKS_MAX_AGE_SECS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(10..=86_400))]
    pub auth_jwks_max_age_secs: u64,
}

/// Authentication is not configured, or not completely.
#[derive(Debug, thiserror::Error)]
pub enum AuthConfigError {
    #[error(
        "authentication is not configured: set AUTH_ISSUER and AUTH_JWKS_URL \
         (or AUTH_JWKS_FILE for local development)"
    )]
    NotConfigured,
    #[error("authentication is incompletely configured: {0} is required but not set")]
    Missing(&'static str),
    #[error(transparent)]
    Keys(#[from] KeySetError),
}

impl AuthSettings {
    /// Where the keys come from, if configured.
    pub fn key_source(&self) -> Option<KeySource> {
        match (&self.auth_jwks_url, &self.auth_jwks_file) {
            (Some(url), _) => Some(KeySource::Url(url.clone())),
            (None, Some(path)) => Some(KeySource::File(path.clone())),
            (None, None) => None,
        }
    }

    /// The verifier these settings describe (keys are loaded on first use).
    ///
    /// # Errors
    /// [`AuthConfigError::NotConfigured`] if nothing is set, naming the variables to set;
    /// [`AuthConfigError::Missing`] naming the one variable missing.
    pub fn verifier(&self, audience: &str) -> Result<TokenVerifier, AuthConfigError> {
        let issuer = self.auth_issuer.as_deref().filter(|s| !s.is_empty());
        let source = self.key_source();
        let (issuer, source) = match (issuer, source) {
            (None, None) => return Err(AuthConfigError::NotConfigured),
            (None, Some(_)) => return Err(AuthConfigError::Missing("AUTH_ISSUER")),
            (Some(_), None) => return Err(AuthConfigError::Missing("AUTH_JWKS_URL (or AUTH_JWKS_FILE)")),
            (Some(issuer), Some(source)) => (issuer, source),
        };
        if audience.is_empty() {
            return Err(AuthConfigError::Missing(
                "the service's AUTH_AUDIENCE (ORDER_AUTH_AUDIENCE, VOUCHER_AUTH_AUDIENCE)",
            ));
        }
        Ok(TokenVerifier::new(issuer, audience, source)?
            .with_leeway(Duration::from_secs(self.auth_leeway_secs))
            .with_min_refetch_interval(Duration::from_secs(self.auth_jwks_refetch_secs))
            .with_max_key_age(Duration::from_secs(self.auth_jwks_max_age_secs)))
    }
}

impl AuthSettings {
    /// Whether these settings describe a verifier (a service never runs without checking
    /// tokens); the error names the variables to set.
    ///
    /// # Errors
    /// As [`verifier`](Self::verifier).
    pub fn check(&self, audience: &str) -> Result<(), clap::Error> {
        self.verifier(audience)
            .map(drop)
            .map_err(|error| checkout_runtime::config::refuse("auth", error))
    }

    /// The verifier, shared, with the issuer's keys loaded now if they can be: a failure is
    /// logged and the keys are fetched again when the first token needs them.
    ///
    /// # Errors
    /// As [`verifier`](Self::verifier).
    pub async fn verifier_at_start(&self, audience: &str) -> Result<Arc<TokenVerifier>, AuthConfigError> {
        let verifier = self.verifier(audience)?;
        // `refresh_keys` logs its own failure; requests retry the load.
        let _ = verifier.refresh_keys().await;
        Ok(Arc::new(verifier))
    }
}

/// An `https` URL, or `http` to this machine only: keys fetched in the clear from
/// elsewhere could be anyone's, and so could every token they verify.
fn parse_jwks_url(value: &str) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(value).map_err(|e| e.to_string())?;
    let host = url.host_str().unwrap_or_default();
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        "http" => Err("must be https (http is accepted for 127.0.0.1 and localhost only)".to_owned()),
        other => Err(format!("the scheme must be https, not {other}")),
    }
}

#[cfg(test)]
mod tests {
    use clap::{Command, FromArgMatches};

    use super::*;

    fn command() -> Command {
        AuthSettings::augment_args(Command::new("order").no_binary_name(true))
    }

    fn parse(args: &[&str]) -> Result<AuthSettings, clap::Error> {
        AuthSettings::from_arg_matches(&command().try_get_matches_from(args)?)
    }

    #[test]
    fn the_shared_variables_and_their_defaults() {
        let command = command();
        let issuer = command.get_arguments().find(|a| a.get_id() == "auth_issuer").unwrap();
        assert_eq!(issuer.get_env().unwrap(), "AUTH_ISSUER");
        let settings = parse(&["--auth-issuer", "https://id.example.test/"]).unwrap();
        assert_eq!(settings.auth_leeway_secs, 30);
    }

    #[tokio::test]
    async fn a_url_or_a_file_gives_a_verifier_on_it() {
        let settings = parse(&["--auth-issuer", "iss", "--auth-jwks-url", "http://127.0.0.1:1/jwks"]).unwrap();
        let verifier = settings.verifier("order").unwrap();
        assert_eq!(
            verifier.key_source(),
            &KeySource::Url("http://127.0.0.1:1/jwks".parse().unwrap())
        );
        let settings = parse(&[
            "--auth-issuer",
            "iss",
            "--auth-jwks-file",
            "jwks.json",
            "--auth-leeway-secs",
            "0",
        ]);
        let verifier = settings.unwrap().verifier("order").unwrap();
        assert_eq!(verifier.key_source(), &KeySource::File("jwks.json".into()));
    }

    #[test]
    fn keys_are_fetched_over_https_or_from_this_machine_only() {
        for url in [
            "https://id.example.com/certs",
            "http://127.0.0.1:8080/jwks",
            "http://localhost/jwks",
            "http://[::1]:9000/jwks",
        ] {
            assert!(parse(&["--auth-jwks-url", url]).is_ok(), "{url}");
        }
        for url in [
            "http://id.example.com/certs",
            "http://10.0.0.5/jwks",
            "ftp://id.example.com/jwks",
        ] {
            let err = parse(&["--auth-jwks-url", url]).unwrap_err().to_string();
            assert!(err.contains("AUTH_JWKS_URL") && err.contains("https"), "{url}: {err}");
        }
    }

    #[test]
    fn credentials_in_the_jwks_url_are_not_shown() {
        let source = KeySource::Url("https://user:s3cret@id.example.com/certs".parse().unwrap());
        assert_eq!(source.to_string(), "https://id.example.com/certs");
    }

    #[test]
    fn a_url_and_a_file_together_are_refused() {
        let err = parse(&["--auth-jwks-url", "https://x/jwks", "--auth-jwks-file", "jwks.json"]).unwrap_err();
        assert!(err.to_string().contains("AUTH_JWKS_FILE"), "{err}");
    }

    #[test]
    fn bad_values_are_refused_naming_their_variable() {
        for args in [
            ["--auth-jwks-url", "not a url"],
            ["--auth-jwks-url", "file:///etc/jwks.json"],
            ["--auth-leeway-secs", "301"],
            ["--auth-leeway-secs", "soon"],
        ] {
            let err = parse(&args).unwrap_err();
            let variable = if args[0].contains("url") {
                "AUTH_JWKS_URL"
            } else {
                "AUTH_LEEWAY_SECS"
            };
            assert!(err.to_string().contains(variable), "{args:?}: {err}");
        }
    }

    #[test]
    fn nothing_configured_parses_but_gives_no_verifier_and_says_what_to_set() {
        let settings = parse(&[]).expect("services without authentication still start");
        let err = settings.verifier("order").err().unwrap();
        assert!(matches!(err, AuthConfigError::NotConfigured));
        for variable in ["AUTH_ISSUER", "AUTH_JWKS_URL", "AUTH_JWKS_FILE"] {
            assert!(err.to_string().contains(variable), "{err}");
        }
    }

    #[test]
    fn a_partial_configuration_names_what_is_missing() {
        let err = parse(&["--auth-jwks-file", "jwks.json"])
            .unwrap()
            .verifier("order")
            .err()
            .unwrap();
        assert!(err.to_string().contains("AUTH_ISSUER"), "{err}");
        let err = parse(&["--auth-issuer", "iss"])
            .unwrap()
            .verifier("order")
            .err()
            .unwrap();
        assert!(err.to_string().contains("AUTH_JWKS_URL"), "{err}");
        let settings = parse(&["--auth-issuer", "iss", "--auth-jwks-file", "jwks.json"]).unwrap();
        let err = settings.verifier("").err().unwrap();
        assert!(err.to_string().contains("ORDER_AUTH_AUDIENCE"), "{err}");
    }
}
