//! Test support, a dev-dependency only: real PostgreSQL and Redis for integration tests, a
//! service spawned on its own migrated database, development keys and tokens ([`dev`],
//! also behind the `checkout-token` tool), and assertions on the problems and documents a
//! service answers with. Nothing here is compiled into a service's release binary.

use checkout_http::{HttpLimits, HttpSettings};

mod app;
mod auth;
mod binary;
mod dev;
mod jwks;
mod metrics;
mod problem;
mod reference;
mod roles;
mod servers;
pub mod test_keys;

pub use app::{Shutdown, connect, hold_writes, migrated_database, serve};
pub use auth::{REFETCH_INTERVAL, TEST_ISSUER, TestIssuer, assert_access_is_documented, test_audiences};
pub use binary::{refused_start, run_binary};
pub use dev::{AccessToken, DevSigningKey};
pub use jwks::JwksServer;
pub use metrics::{assert_every_metric_is_described, assert_grouped, metric};
pub use problem::{
    INTERNAL_NAMES, assert_each_400_names_nothing_internal, assert_each_invalid, assert_field_error,
    assert_insufficient_scope, assert_invalid, assert_problem, assert_unauthorized, field_errors,
};
pub use reference::{
    StatusCoverage, assert_fields_in_documented_order, assert_reference_is_complete, assert_same_json,
    assert_same_reading, field_order, operations, served_document, take_the_database_away, until_limited,
};
pub use roles::assert_runtime_role_cannot_change_the_schema;
pub use servers::{
    RedisServer, Servers, TEST_CHANNELS, TEST_VOUCHER_STREAMS, TestDatabase, free_port, fresh_database, servers,
    unique_name, voucher_stream_of,
};

mod event_keys;
pub use event_keys::{EventKeys, event_keys, voucher_event_keys};

/// The default limits, with rate limits no test reaches by accident.
pub fn http_limits() -> HttpLimits {
    HttpLimits {
        rate_limit_writes_per_sec: 100_000,
        rate_limit_writes_burst: 100_000,
        rate_limit_lookups_per_sec: 100_000,
        rate_limit_lookups_burst: 100_000,
        header_timeout_secs: 10,
        request_timeout_secs: 30,
        idle_timeout_secs: 60,
        max_connections: 512,
        max_body_bytes: 64 * 1024,
    }
}

/// Loopback on ports the system picks, for the API and the admin listener, with
/// [`http_limits`].
pub fn ephemeral_http() -> HttpSettings {
    HttpSettings {
        http_host: "127.0.0.1".to_owned(),
        http_port: 0,
        admin_host: "127.0.0.1".to_owned(),
        admin_port: 0,
        limits: http_limits(),
    }
}
