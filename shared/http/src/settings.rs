//! Where a service listens and what it allows a client: rate limits, timeouts, connections.

use std::{num::NonZeroU32, time::Duration};

use clap::Args;

use crate::{ConnectionLimits, Rate, RateLimits};

/// Where a service listens. Each service declares the variables (`ORDER_HTTP_HOST`,
/// `ORDER_HTTP_PORT`, `ORDER_ADMIN_HOST`, `ORDER_ADMIN_PORT`) in its own settings.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Address the HTTP API binds to.
    pub http_host: String,
    /// Port the HTTP API binds to (0: one the system picks).
    pub http_port: u16,
    /// Address of the admin listener (`/health`, `/ready`, `/metrics`).
    pub admin_host: String,
    /// Port of the admin listener.
    pub admin_port: u16,
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
    /// Largest accepted request body in bytes; larger bodies get 413.
    #[arg(long, env = "HTTP_MAX_BODY_BYTES", default_value_t = 64 * 1024,
          value_parser = clap::value_parser!(u64).range(1..=64 * 1024 * 1024))]
    pub max_body_bytes: u64,
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
}
