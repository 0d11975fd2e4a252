//! The Redis event bus: connections as the service's own ACL user (single server or
//! cluster), subscriptions that survive restarts, dead-letter keys, the event keys from
//! settings ([`keys`]), and the readiness check.

#![forbid(unsafe_code)]

mod connection;
pub mod consume;
mod endpoint;
pub mod keys;
pub mod publish;
mod subscription;

pub use connection::{BusConnection, LazyConnection, connect_subscriber, connection_config};
pub use endpoint::{EndpointError, RedisEndpoint};
pub use subscription::ChannelSubscription;

use std::path::PathBuf;

use anyhow::Context;
use checkout_contract::events::{CHANNEL_ORDER_SENT, STREAM_VOUCHER_ISSUED};
use checkout_runtime::DependencyCheck;
use clap::Args;

/// How events travel between the services, from `EVENT_TRANSPORT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Transport {
    /// Redis PUBLISH/SUBSCRIBE. Simple and fast; a message is delivered to whoever is
    /// subscribed at that moment, and the order service re-publishes events nobody received.
    #[default]
    PubSub,
    /// A Redis stream read through a consumer group. Entries stay until acknowledged, so a
    /// consumer that crashes or restarts picks up where it left off.
    Streams,
}

impl std::str::FromStr for Transport {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "pubsub" => Ok(Self::PubSub),
            "streams" => Ok(Self::Streams),
            other => Err(format!("expected `pubsub` or `streams`, got `{other}`")),
        }
    }
}

/// Name of the dead-letter stream that goes with an event channel or stream: in the same
/// Redis Cluster hash slot as the stream, so that moving an entry there and acknowledging it
/// is one transaction. `order.sent` gives `{order.sent}.dead` (Redis hashes only what is
/// between the braces, here the stream's whole name); a name that has a hash tag of its
/// own keeps it: `{orders}.sent` gives `{orders}.sent.dead`.
pub fn dead_letter_key(channel: &str) -> String {
    if has_hash_tag(channel) {
        format!("{channel}.dead")
    } else {
        format!("{{{channel}}}.dead")
    }
}

/// Whether Redis Cluster hashes only part of `key`: a `{` followed later by a `}` with at
/// least one character between them.
fn has_hash_tag(key: &str) -> bool {
    key.find('{')
        .and_then(|open| key[open + 1..].find('}'))
        .is_some_and(|len| len > 0)
}

/// How a service reaches Redis: as its own ACL user, over TLS (`rediss://`) or not. Each
/// service declares the variables (`ORDER_REDIS_URL`, `ORDER_REDIS_PASSWORD_FILE`,
/// `REDIS_CA_FILE`) in its own settings.
#[derive(Clone)]
pub struct RedisSettings {
    /// `rediss://USER[:PASSWORD]@HOST:PORT` (TLS; the certificate must name HOST) or
    /// `redis://...`; several comma-separated seeds for a Redis Cluster.
    pub redis_url: String,
    /// A file holding the password of the URL's user, instead of a password in the URL.
    pub redis_password_file: Option<PathBuf>,
    /// PEM file of the certificate authority that signed Redis's certificate (`rediss://`
    /// only); without it, the Mozilla root certificates are trusted.
    pub redis_ca_file: Option<PathBuf>,
}

/// How events travel, and where: both services must agree.
#[derive(Debug, Clone, Args)]
pub struct EventSettings {
    /// How events travel between the services: `pubsub` or `streams`. Both services must agree.
    #[arg(long, env = "EVENT_TRANSPORT", default_value = "pubsub")]
    pub event_transport: Transport,
    /// Channel (pubsub) or stream key (streams) of order.sent events. Both services must agree.
    #[arg(long, env = "ORDER_SENT_CHANNEL", default_value = CHANNEL_ORDER_SENT)]
    pub order_sent_channel: String,
    /// Stream key of voucher.issued events, a stream whatever `EVENT_TRANSPORT` says. Both
    /// services must agree.
    #[arg(long, env = "VOUCHER_ISSUED_STREAM", default_value = STREAM_VOUCHER_ISSUED)]
    pub voucher_issued_stream: String,
}

/// The URL may hold a password: only its address is printed.
impl std::fmt::Debug for RedisSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisSettings")
            .field("redis_url", &"<redacted>")
            .field("redis_password_file", &self.redis_password_file)
            .field("redis_ca_file", &self.redis_ca_file)
            .finish()
    }
}

impl RedisSettings {
    /// Whether [`RedisSettings::endpoint`] succeeds; the error names the variable.
    ///
    /// # Errors
    /// As [`RedisSettings::endpoint`].
    pub fn check(&self, service: &str) -> Result<(), clap::Error> {
        self.endpoint(service)
            .map(drop)
            .map_err(|e| clap::Error::raw(clap::error::ErrorKind::ValueValidation, format!("{e:#}\n")))
    }

    /// Reads the password and CA files and checks the URL. `service` (`ORDER`) names the
    /// variables in errors; no error holds the URL or the password.
    ///
    /// # Errors
    /// A file cannot be read, the URL is invalid, or a CA is given for a URL without TLS.
    pub fn endpoint(&self, service: &str) -> anyhow::Result<RedisEndpoint> {
        let password = match &self.redis_password_file {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .with_context(|| format!("{service}_REDIS_PASSWORD_FILE: cannot read {}", path.display()))?
                    .trim_end_matches(['\r', '\n'])
                    .to_owned(),
            ),
            None => None,
        };
        let root_cert = match &self.redis_ca_file {
            Some(path) => {
                Some(std::fs::read(path).with_context(|| format!("REDIS_CA_FILE: cannot read {}", path.display()))?)
            }
            None => None,
        };
        RedisEndpoint::new(&self.redis_url, password, root_cert).map_err(|e| match e {
            EndpointError::Url(e) => anyhow::anyhow!("{service}_REDIS_URL: {e}"),
            e => anyhow::anyhow!("REDIS_CA_FILE: {e}"),
        })
    }
}

/// Redis answers PING.
pub struct RedisCheck(pub std::sync::Arc<LazyConnection>);

#[async_trait::async_trait]
impl DependencyCheck for RedisCheck {
    fn name(&self) -> &'static str {
        "redis"
    }

    async fn check(&self) -> Result<(), String> {
        let mut conn = self.0.get().await.map_err(|e| e.to_string())?;
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(redis_url: &str) -> RedisSettings {
        RedisSettings {
            redis_url: redis_url.to_owned(),
            redis_password_file: None,
            redis_ca_file: None,
        }
    }

    #[test]
    fn the_dead_letter_key_shares_the_hash_slot_of_its_stream() {
        assert_eq!(dead_letter_key("order.sent"), "{order.sent}.dead");
        assert_eq!(dead_letter_key("{orders}.sent"), "{orders}.sent.dead");
        // An empty tag is no tag: Redis hashes the whole key.
        assert_eq!(dead_letter_key("a{}b"), "{a{}b}.dead");
    }

    #[test]
    fn neither_the_settings_nor_the_endpoint_print_the_password() {
        let settings = settings("rediss://order:s3cret@localhost:6380");
        assert!(!format!("{settings:?}").contains("s3cret"));
        let endpoint = settings.endpoint("ORDER").unwrap();
        let printed = format!("{endpoint:?}");
        assert!(
            printed.contains("localhost:6380") && printed.contains("order"),
            "{printed}"
        );
        assert!(!printed.contains("s3cret"), "{printed}");
    }

    #[test]
    fn a_password_file_replaces_the_password_of_the_url() {
        let file = std::env::temp_dir().join(format!("redis-password-{}", uuid::Uuid::new_v4().simple()));
        std::fs::write(&file, "from-the-file\n").unwrap();
        let settings = RedisSettings {
            redis_password_file: Some(file.clone()),
            ..settings("redis://order:from-the-url@localhost")
        };
        let endpoint = settings.endpoint("ORDER").unwrap();
        std::fs::remove_file(file).unwrap();
        assert_eq!(endpoint.node(0).redis_settings().password(), Some("from-the-file"));
        assert_eq!(endpoint.node(0).redis_settings().username(), Some("order"));
    }

    #[test]
    fn bad_urls_are_refused_by_variable_without_showing_the_url() {
        for url in [
            "http://order:s3cret@localhost",
            "redis://order:s3cret@localhost:x",
            "rediss://order:s3cret@localhost#insecure",
            "redis://order:s3cret@redis.example.com:6379",
        ] {
            let err = settings(url).endpoint("VOUCHER").unwrap_err().to_string();
            assert!(err.starts_with("VOUCHER_REDIS_URL: "), "{url}: {err}");
            assert!(!err.contains("s3cret"), "{url}: {err}");
        }
    }
}
