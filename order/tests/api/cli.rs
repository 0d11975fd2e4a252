//! The `order` binary itself: configuration errors and the migrate subcommand.

use checkout_testing::{TestDatabase, run_binary};
use order::infrastructure::migrations::Migrator;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use sea_orm_migration::MigratorTrait;

const ORDER: &str = env!("CARGO_BIN_EXE_order");
const NO_DATABASE: (&str, &str) = ("ORDER_DATABASE_URL", "postgres://127.0.0.1:1/none");
/// The voucher service's public keys, which the order service requires.
fn voucher_keys() -> (&'static str, &'static str) {
    (
        "VOUCHER_EVENT_VERIFY_KEYS",
        checkout_testing::voucher_event_keys().jwks(),
    )
}
const AUTH: [(&str, &str); 2] = [
    ("AUTH_ISSUER", "https://id.example.test/"),
    ("AUTH_JWKS_FILE", "/nonexistent/jwks.json"),
];

/// Runs `order serve` with `vars` (and an unreachable database, authentication settings and
/// an event signing key unless `vars` names them) and returns its stderr, asserting that it
/// refused to start.
fn refused_start(vars: &[(&str, &str)]) -> String {
    let signing = ("EVENT_SIGNING_KEY", checkout_testing::event_keys().pem());
    let vars: Vec<_> = std::iter::once(NO_DATABASE)
        .chain(AUTH)
        .chain([signing, voucher_keys()])
        .chain(vars.iter().copied())
        .collect();
    checkout_testing::refused_start(ORDER, &vars)
}

#[test]
fn without_a_usable_event_signing_key_the_service_refuses_to_start_naming_it() {
    for key in [
        None,
        Some("/nonexistent/signing-key.pem"),
        Some("-----BEGIN PRIVATE KEY-----\nnope\n"),
    ] {
        let vars: Vec<_> = std::iter::once(NO_DATABASE)
            .chain(AUTH)
            .chain(key.map(|k| ("EVENT_SIGNING_KEY", k)))
            .collect();
        let stderr = checkout_testing::refused_start(ORDER, &vars);
        assert!(
            stderr.contains("EVENT_SIGNING_KEY") && !stderr.contains("ORDER_DATABASE_URL"),
            "{key:?}: {stderr}"
        );
    }
}

#[test]
fn without_the_voucher_services_keys_the_service_refuses_to_start_naming_them() {
    let signing = ("EVENT_SIGNING_KEY", checkout_testing::event_keys().pem());
    // The order service's own JWKS is not the voucher service's, but it is a usable key set:
    // what is refused is a missing or unreadable one.
    for keys in [None, Some("/nonexistent/jwks.json"), Some(r#"{"keys": []}"#)] {
        let vars: Vec<_> = [NO_DATABASE, AUTH[0], AUTH[1], signing]
            .into_iter()
            .chain(keys.map(|k| ("VOUCHER_EVENT_VERIFY_KEYS", k)))
            .collect();
        let stderr = checkout_testing::refused_start(ORDER, &vars);
        assert!(
            stderr.contains("VOUCHER_EVENT_VERIFY_KEYS") && !stderr.contains("ORDER_DATABASE_URL"),
            "{keys:?}: {stderr}"
        );
    }
}

#[test]
fn without_authentication_settings_the_service_refuses_to_start_naming_them() {
    let stderr = checkout_testing::refused_start(ORDER, &[NO_DATABASE]);
    assert!(
        stderr.contains("AUTH_ISSUER") && stderr.contains("AUTH_JWKS_URL"),
        "{stderr}"
    );
    let stderr = checkout_testing::refused_start(ORDER, &[NO_DATABASE, AUTH[0]]);
    assert!(
        stderr.contains("AUTH_JWKS_URL") && !stderr.contains("ORDER_DATABASE_URL"),
        "{stderr}"
    );
    let stderr = checkout_testing::refused_start(ORDER, &[NO_DATABASE, AUTH[1]]);
    assert!(stderr.contains("AUTH_ISSUER"), "{stderr}");
    let signing = ("EVENT_SIGNING_KEY", checkout_testing::event_keys().pem());
    let stderr = checkout_testing::refused_start(
        ORDER,
        &[
            NO_DATABASE,
            AUTH[0],
            AUTH[1],
            signing,
            voucher_keys(),
            ("ORDER_AUTH_AUDIENCE", ""),
        ],
    );
    assert!(
        stderr.contains("ORDER_DATABASE_URL"),
        "an empty audience takes the default; it got as far as the database: {stderr}"
    );
}

#[test]
fn a_missing_database_url_stops_the_service_naming_the_variable() {
    let stderr = checkout_testing::refused_start(ORDER, &[]);
    assert!(stderr.contains("ORDER_DATABASE_URL"), "{stderr}");
}

#[test]
fn a_malformed_port_stops_the_service_naming_the_variable() {
    let stderr = refused_start(&[("ORDER_HTTP_PORT", "eighty")]);
    assert!(stderr.contains("ORDER_HTTP_PORT"), "{stderr}");
}

#[test]
fn out_of_range_values_stop_the_service_naming_the_variable() {
    for (key, value) in [
        ("ORDER_RELAY_BATCH_SIZE", "0"),
        ("ORDER_CATALOG_REFRESH_MS", "5"),
        ("ORDER_DB_MAX_CONNECTIONS", "0"),
        ("ORDER_RELAY_POLL_MS", "-5"),
        ("HTTP_MAX_BODY_BYTES", "0"),
        ("EVENT_TRANSPORT", "carrier-pigeon"),
    ] {
        let stderr = refused_start(&[(key, value)]);
        assert!(stderr.contains(key), "{key}={value}: {stderr}");
    }
}

#[test]
fn an_empty_variable_counts_as_unset() {
    // Without a database the service stops after reading its settings; what matters is why.
    let stderr = refused_start(&[("ORDER_RELAY_BATCH_SIZE", ""), ("ORDER_HTTP_PORT", "")]);
    assert!(
        !stderr.contains("ORDER_RELAY_BATCH_SIZE") && !stderr.contains("ORDER_HTTP_PORT"),
        "{stderr}"
    );
    assert!(
        stderr.contains("ORDER_DATABASE_URL"),
        "it got as far as the database: {stderr}"
    );
}

#[test]
fn a_lease_not_longer_than_the_poll_interval_stops_the_service() {
    let stderr = refused_start(&[("ORDER_RELAY_LEASE_MS", "100"), ("ORDER_RELAY_POLL_MS", "250")]);
    assert!(
        stderr.contains("ORDER_RELAY_LEASE_MS") && stderr.contains("ORDER_RELAY_POLL_MS"),
        "{stderr}"
    );
}

#[test]
fn serve_help_lists_every_variable_with_its_default_and_hides_secrets() {
    let output = run_binary(
        ORDER,
        &["serve", "--help"],
        &[
            ("ORDER_DATABASE_URL", "postgres://user:s3cret@db/orders"),
            ("ORDER_REDIS_URL", "rediss://order:r3dis-s3cret@redis:6379"),
        ],
    );
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for key in [
        "ORDER_HTTP_HOST",
        "ORDER_HTTP_PORT",
        "ORDER_ADMIN_HOST",
        "ORDER_ADMIN_PORT",
        "HTTP_RATE_LIMIT_WRITES_PER_SEC",
        "HTTP_RATE_LIMIT_WRITES_BURST",
        "HTTP_RATE_LIMIT_LOOKUPS_PER_SEC",
        "HTTP_RATE_LIMIT_LOOKUPS_BURST",
        "HTTP_HEADER_TIMEOUT_SECS",
        "HTTP_REQUEST_TIMEOUT_SECS",
        "HTTP_IDLE_TIMEOUT_SECS",
        "HTTP_MAX_CONNECTIONS",
        "ORDER_DATABASE_URL",
        "ORDER_DB_MAX_CONNECTIONS",
        "ORDER_REDIS_URL",
        "ORDER_REDIS_PASSWORD_FILE",
        "REDIS_CA_FILE",
        "EVENT_TRANSPORT",
        "ORDER_SENT_CHANNEL",
        "HTTP_MAX_BODY_BYTES",
        "LOG_FORMAT",
        "ORDER_CATALOG_REFRESH_MS",
        "ORDER_RELAY_BATCH_SIZE",
        "ORDER_RELAY_POLL_MS",
        "ORDER_RELAY_LEASE_MS",
        "ORDER_OUTBOX_RETENTION_HOURS",
        "AUTH_ISSUER",
        "AUTH_JWKS_URL",
        "AUTH_JWKS_FILE",
        "AUTH_LEEWAY_SECS",
        "ORDER_AUTH_AUDIENCE",
        "EVENT_SIGNING_KEY",
        "VOUCHER_EVENT_VERIFY_KEYS",
        "VOUCHER_ISSUED_STREAM",
        "ORDER_CONSUMER_NAME",
    ] {
        assert!(help.contains(&format!("[env: {key}")), "{key} missing from:\n{help}");
    }
    assert!(help.contains("[default: 54322]"), "{help}");
    assert!(!help.contains("s3cret"), "the database URL is shown: {help}");
    assert!(!help.contains("r3dis"), "the Redis URL is shown: {help}");
}

#[test]
fn unusable_redis_settings_stop_the_service_naming_the_variable_but_not_the_password() {
    let ca = std::env::temp_dir().join(format!("checkout-ca-{}.pem", uuid::Uuid::new_v4().simple()));
    std::fs::write(&ca, "not a certificate").unwrap();
    let ca = ca.to_str().unwrap();
    for (vars, key) in [
        (
            vec![("ORDER_REDIS_URL", "redis://order:s3cret@127.0.0.1:notaport")],
            "ORDER_REDIS_URL",
        ),
        (
            vec![("ORDER_REDIS_URL", "rediss://order:s3cret@localhost:6379#insecure")],
            "ORDER_REDIS_URL",
        ),
        (
            vec![
                ("ORDER_REDIS_URL", "redis://order:s3cret@localhost:6379"),
                ("REDIS_CA_FILE", ca),
            ],
            "REDIS_CA_FILE",
        ),
        (
            vec![
                ("ORDER_REDIS_URL", "rediss://order:s3cret@localhost:6379"),
                ("REDIS_CA_FILE", ca),
            ],
            "REDIS_CA_FILE",
        ),
        (vec![("REDIS_CA_FILE", "/nonexistent/ca.crt")], "REDIS_CA_FILE"),
        (
            vec![("ORDER_REDIS_PASSWORD_FILE", "/nonexistent/order.password")],
            "ORDER_REDIS_PASSWORD_FILE",
        ),
    ] {
        let stderr = refused_start(&vars);
        assert!(stderr.contains(key), "{vars:?}: {stderr}");
        assert!(!stderr.contains("s3cret"), "{vars:?}: the password is shown: {stderr}");
        assert!(
            !stderr.contains("ORDER_DATABASE_URL"),
            "{vars:?}: it got as far as the database: {stderr}"
        );
    }
}

/// Runs `order migrate ARGS` as the migration role of `database`.
fn migrate(database: &TestDatabase, args: &[&str]) -> std::process::Output {
    let args: Vec<&str> = std::iter::once("migrate").chain(args.iter().copied()).collect();
    run_binary(
        ORDER,
        &args,
        &[("ORDER_MIGRATION_DATABASE_URL", &database.migration_url)],
    )
}

fn succeeded(output: std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    stderr
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql.to_owned()))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

const TABLES: &str = "SELECT count(*) FROM information_schema.tables WHERE table_name IN ('orders', 'outbox')";

#[tokio::test]
async fn migrate_up_then_status_and_down_work_from_the_command_line() {
    let database = checkout_testing::fresh_database().await;
    succeeded(migrate(&database, &["up"]));
    let db = checkout_testing::connect(&database.migration_url).await;
    assert_eq!(count(&db, TABLES).await, 2);
    succeeded(migrate(&database, &["status"]));
    let every_migration = <Migrator as MigratorTrait>::migrations().len().to_string();
    succeeded(migrate(&database, &["down", "--steps", &every_migration]));
    assert_eq!(count(&db, TABLES).await, 0);
}

#[tokio::test]
async fn migrate_reads_the_migration_url_and_the_runtime_role_cannot_migrate() {
    let database = checkout_testing::fresh_database().await;
    let output = run_binary(ORDER, &["migrate", "up"], &[("ORDER_DATABASE_URL", &database.url)]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success() && stderr.contains("ORDER_MIGRATION_DATABASE_URL"),
        "{stderr}"
    );
    let output = run_binary(
        ORDER,
        &["migrate", "up"],
        &[("ORDER_MIGRATION_DATABASE_URL", &database.url)],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success() && stderr.contains("permission denied"),
        "the runtime role created tables: {stderr}"
    );
}

#[tokio::test]
async fn migrate_fresh_drops_nothing_unless_confirmed_with_the_database_name() {
    let database = checkout_testing::fresh_database().await;
    succeeded(migrate(&database, &["up"]));
    let db = checkout_testing::connect(&database.migration_url).await;
    db.execute_unprepared(
        "INSERT INTO orders (id, customer_id, items, total_cents, currency, status, created_at, updated_at) \
         SELECT gen_random_uuid(), 'alice', '[]', 100, 'EUR', 'created', now(), now()",
    )
    .await
    .unwrap();
    for confirm in [&[][..], &["--confirm", "orders"][..]] {
        let args: Vec<&str> = ["fresh"].into_iter().chain(confirm.iter().copied()).collect();
        let output = migrate(&database, &args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?} dropped the tables");
        assert!(
            stderr.contains(&format!("--confirm {}", database.name)),
            "{args:?}: {stderr}"
        );
        assert_eq!(count(&db, "SELECT count(*) FROM orders").await, 1, "{args:?}");
    }
    succeeded(migrate(&database, &["fresh", "--confirm", &database.name]));
    assert_eq!(count(&db, TABLES).await, 2);
    assert_eq!(count(&db, "SELECT count(*) FROM orders").await, 0);
}

#[test]
fn a_bad_database_url_stops_the_service_naming_the_variable_but_never_the_password() {
    for url in [
        "postgres://order_app:s3cret@localhost/orders?sslmode=nonsense",
        "postgres://order_app:s3cret@db.example.com/orders",
        "mysql://order_app:s3cret@localhost/orders",
        "postgres://order_app:s3cret@localhost/orders?sslrootcert=/nonexistent/ca.crt",
    ] {
        let stderr = refused_start(&[("ORDER_DATABASE_URL", url)]);
        assert!(stderr.contains("ORDER_DATABASE_URL"), "{url}: {stderr}");
        assert!(!stderr.contains("s3cret"), "{url}: {stderr}");
    }
}
