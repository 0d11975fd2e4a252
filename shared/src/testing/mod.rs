//! Test harness for the services' integration tests: real PostgreSQL and Redis, a service
//! spawned on its own migrated database, and assertions on the problems it answers with.

mod app;
mod auth;
mod binary;
mod jwks;
mod metrics;
mod problem;
mod reference;
mod roles;
mod servers;

pub use app::{Shutdown, connect, migrated_database, serve};
pub use auth::{REFETCH_INTERVAL, TEST_ISSUER, TestIssuer, assert_access_is_documented, test_audiences};
pub use binary::{refused_start, run_binary};
pub use jwks::JwksServer;
pub use metrics::{assert_every_metric_is_described, assert_grouped, metric};
pub use problem::{
    INTERNAL_NAMES, assert_each_400_names_nothing_internal, assert_each_invalid, assert_field_error,
    assert_insufficient_scope, assert_invalid, assert_problem, assert_unauthorized, field_errors,
};
pub use reference::{
    StatusCoverage, assert_reference_is_complete, assert_same_json, field_order, operations, served_document,
    take_the_database_away, until_limited,
};
pub use roles::assert_runtime_role_cannot_change_the_schema;
pub use servers::{RedisServer, Servers, TEST_CHANNELS, TestDatabase, free_port, fresh_database, servers, unique_name};

mod event_keys;
pub use event_keys::{EventKeys, event_keys};
