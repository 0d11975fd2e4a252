//! The order database as the service reaches it: over TLS, as a role that may read and write
//! rows and nothing else.

use checkout_db::DatabaseUrl;
use checkout_testing::{TestDatabase, assert_runtime_role_cannot_change_the_schema, fresh_database, migrated_database};
use order::infrastructure::migrations::Migrator;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};

async fn try_connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    checkout_db::connect(&DatabaseUrl::parse("the test URL", url).expect("a valid URL"), 1).await
}

async fn query_bool(db: &DatabaseConnection, sql: &str) -> bool {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql.to_owned()))
        .await
        .unwrap()
        .expect("a row");
    row.try_get_by_index::<bool>(0).unwrap()
}

async fn encrypted(db: &DatabaseConnection) -> bool {
    query_bool(db, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").await
}

/// The test database's runtime URL, which the harness makes `sslmode=verify-full` to
/// `localhost` with the server's CA; anything else would make the TLS tests meaningless.
async fn verified_database() -> TestDatabase {
    let database = fresh_database().await;
    let url = url::Url::parse(&database.url).unwrap();
    let query: Vec<_> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert_eq!(url.host_str(), Some("localhost"), "DATABASE_URL must name localhost");
    assert!(
        query.iter().any(|(k, v)| k == "sslmode" && v == "verify-full")
            && query.iter().any(|(k, _)| k == "sslrootcert"),
        "DATABASE_URL must carry sslmode=verify-full&sslrootcert=<the server's CA> (scripts/test sets it)"
    );
    database
}

fn with_query(url: &mut url::Url, pairs: &[(&str, &str)]) {
    url.query_pairs_mut().clear().extend_pairs(pairs);
}

#[tokio::test]
async fn the_service_role_may_read_and_write_rows_but_not_change_the_schema() {
    let (database, _) = migrated_database::<Migrator>().await;
    for table in ["orders", "outbox", "idempotency_keys"] {
        assert_runtime_role_cannot_change_the_schema(&database, table).await;
    }
}

#[tokio::test]
async fn the_migration_role_owns_every_table() {
    let (database, db) = migrated_database::<Migrator>().await;
    let sql = format!(
        "SELECT bool_and(tableowner = '{}_owner') AND count(*) >= 4 FROM pg_tables WHERE schemaname = 'public'",
        database.name
    );
    assert!(query_bool(&db, &sql).await);
}

#[tokio::test]
async fn verify_full_with_the_ca_reaches_localhost_encrypted() {
    let database = verified_database().await;
    let db = try_connect(&database.url).await.expect("verify-full to localhost");
    assert!(encrypted(&db).await);
}

#[tokio::test]
async fn sslmode_require_encrypts_without_a_ca() {
    let database = verified_database().await;
    let url = database.url_with(|url| with_query(url, &[("sslmode", "require")]));
    let db = try_connect(&url).await.expect("sslmode=require without a CA");
    assert!(encrypted(&db).await);
}

#[tokio::test]
async fn verify_full_refuses_a_host_name_the_certificate_does_not_name() {
    let database = verified_database().await;
    // The same server, reached by its address: the certificate names `localhost` only.
    let url = database.url_with(|url| url.set_host(Some("127.0.0.1")).unwrap());
    let err = try_connect(&url)
        .await
        .expect_err("verify-full accepted a certificate for another name");
    let message = format!("{err}");
    assert!(
        message.contains("certificate") && message.contains("127.0.0.1"),
        "{message}"
    );
}

#[tokio::test]
async fn verify_full_refuses_a_server_certificate_from_an_unknown_ca() {
    let database = verified_database().await;
    let url = database.url_with(|url| with_query(url, &[("sslmode", "verify-full")]));
    let err = try_connect(&url)
        .await
        .expect_err("verify-full trusted the development CA unasked");
    assert!(format!("{err}").contains("certificate"), "{err}");
}

#[tokio::test]
async fn the_service_role_cannot_connect_without_tls() {
    let database = verified_database().await;
    let url = database.url_with(|url| with_query(url, &[("sslmode", "disable")]));
    let err = try_connect(&url)
        .await
        .expect_err("a plain connection as the runtime role");
    assert!(format!("{err}").contains("no encryption"), "{err}");
}

#[tokio::test]
async fn the_runtime_role_reads_the_connection_budget_of_its_pool() {
    let database = fresh_database().await;
    let db = try_connect(&database.url).await.expect("connect as the runtime role");
    let max_connections: i64 = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT current_setting('max_connections')::bigint".to_owned(),
        ))
        .await
        .unwrap()
        .expect("a row")
        .try_get_by_index(0)
        .unwrap();
    let budget = checkout_db::connection_budget(&db, 16).await.expect("the budget");
    assert!(budget.usable > 0 && budget.usable < max_connections, "{budget:?}");
    assert!(budget.in_use >= 1, "this pool's own connection counts: {budget:?}");
    assert!(budget.fits(), "{budget:?}");
    let too_big = checkout_db::connection_budget(&db, u32::try_from(budget.usable).unwrap() + 1)
        .await
        .unwrap();
    assert!(
        !too_big.fits(),
        "a pool larger than the server's limit cannot fit: {too_big:?}"
    );
}
