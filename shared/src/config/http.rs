//! Where a service listens and what it allows a client: rate limits, timeouts, connections.

use std::{num::NonZeroU32, time::Duration};

use clap::Args;

use crate::http::{ConnectionLimits, Rate, RateLimits};

/// Where a service listens. Per service: `ORDER_HTTP_HOST`, `VOUCHER_ADMIN_PORT`, ...
#[derive(Debug, Clone, Args)]
pub struct HttpSettings {
    /// Address the HTTP API binds to. Use 0.0.0.0 only behind a firewall or in a container.
    #[arg(long, env = "SERVICE_HTTP_HOST", default_value = "127.0.0.1")]
    pub http_host: String,
    /// Port the HTTP API binds to.
    #[arg(long, env = "SERVICE_HTTP_PORT")]
    pub http_port: u16,
    /// Address of the admin listener (`/health`, `/ready`, `/metrics`): keep it on loopback
    /// or a network only the operators and the orchestrator reach.
    #[arg(long, env = "SERVICE_ADMIN_HOST", default_value = "127.0.0.1")]
    pub admin_host: String,
    /// Port of the admin listener.
    #[arg(long, env = "SERVICE_ADMIN_PORT")]
    pub admin_port: u16,
    #[command(flatten)]
    pub limits: HttpLimits,
}

/// What the API allows one client. The same keys for both services: `HTTP_MAX_CONNECTIONS`, ...
#[derive(Debug, Clone, Args)]
pub struct HttpLimits {
    /// Writes (POST, PUT, PATCH, DELETE) per second one caller may sustain; a caller is its
    /// token's subject, or its IP address without a valid token. More get 429.
    #[arg(long, env = "HTTP_RATE_LIMIT_WRITES_PER_SEC", default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub rate_limit_writes_per_sec: u32,
    /// Writes one caller may make at once after a quiet spell (the bucket's size).
    #[arg(long, env = "HTTP_RATE_LIMIT_WRITES_BURST", default_value_t = 200,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub rate_limit_writes_burst: u32,
    /// Voucher lookups (GET /vouchers, GET /vouchers/{code}, redeeming) per second one caller
    /// may sustain.
    #[arg(long, env = "HTTP_RATE_LIMIT_LOOKUPS_PER_SEC", default_value_t = 20,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub rate_limit_lookups_per_sec: u32,
    /// Voucher lookups one caller may make at once after a quiet spell (the bucket's size).
    #[arg(long, env = "HTTP_RATE_LIMIT_LOOKUPS_BURST", default_value_t = 40,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub rate_limit_lookups_burst: u32,
    /// Seconds a client has to send a request's headers (the clock also runs while a kept-alive
    /// HTTP/1.1 connection waits for its next request); then the connection is closed.
    #[arg(long, env = "HTTP_HEADER_TIMEOUT_SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub header_timeout_secs: u64,
    /// Seconds a request may take from its headers to its response, body included; then 503.
    #[arg(long, env = "HTTP_REQUEST_TIMEOUT_SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub request_timeout_secs: u64,
    /// Seconds a connection may stay without a byte in either direction; then it is closed.
    #[arg(long, env = "HTTP_IDLE_TIMEOUT_SECS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub idle_timeout_secs: u64,
    /// Connections served at once; further clients wait until one closes.
    #[arg(long, env = "HTTP_MAX_CONNECTIONS", default_value_t = 512,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_connections: u32,
}

fn rate(per_second: u32, burst: u32) -> Rate {
    let nonzero = |n: u32| NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
    Rate {
        per_second: nonzero(per_second),
        burst: nonzero(burst),
    }
}

impl HttpLimits {
    /// The rate limits per caller.
    pub fn rate_limits(&self) -> RateLimits {
        RateLimits {
            writes: rate(self.rate_limit_writes_per_sec, self.rate_limit_writes_burst),
            lookups: rate(self.rate_limit_lookups_per_sec, self.rate_limit_lookups_burst),
        }
    }

    /// The time a request may take, body and handler.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }

    /// What each connection is allowed.
    pub fn connections(&self) -> ConnectionLimits {
        ConnectionLimits {
            header_timeout: Duration::from_secs(self.header_timeout_secs),
            idle_timeout: Duration::from_secs(self.idle_timeout_secs),
            max_connections: self.max_connections as usize,
        }
    }

    /// The defaults, with rate limits no test reaches by accident: for tests.
    pub fn for_tests() -> Self {
        Self {
            rate_limit_writes_per_sec: 100_000,
            rate_limit_writes_burst: 100_000,
            rate_limit_lookups_per_sec: 100_000,
            rate_limit_lookups_burst: 100_000,
            header_timeout_secs: 10,
            request_timeout_secs: 30,
            idle_timeout_secs: 60,
            max_connections: 512,
        }
    }
}

impl HttpSettings {
    /// Loopback on ports the system picks, for the API and the admin listener: for tests.
    pub fn ephemeral() -> Self {
        Self {
            http_host: "127.0.0.1".to_owned(),
            http_port: 0,
            admin_host: "127.0.0.1".to_owned(),
            admin_port: 0,
            limits: HttpLimits::for_tests(),
        }
    }
}
