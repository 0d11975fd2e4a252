//! The voucher database as the service reaches it: as a role that may read and write rows
//! and nothing else (TLS is tested once, with the order service).

use checkout_testing::{assert_runtime_role_cannot_change_the_schema, migrated_database};
use voucher::infrastructure::migrations::Migrator;

#[tokio::test]
async fn the_service_role_may_read_and_write_rows_but_not_change_the_schema() {
    let (database, _) = migrated_database::<Migrator>().await;
    assert_runtime_role_cannot_change_the_schema(&database, "vouchers").await;
}

#[tokio::test]
async fn vouchers_issued_before_the_outbox_expire_in_90_days_and_the_active_ones_are_announced() {
    use checkout_contract::events::{Event, VoucherIssued};
    use checkout_domain::VoucherCode;
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    use sea_orm_migration::MigratorTrait;

    let database = checkout_testing::fresh_database().await;
    let db = checkout_testing::connect(&database.migration_url).await;
    Migrator::up(&db, Some(1)).await.unwrap();
    let (active, redeemed) = (VoucherCode::generate(), VoucherCode::generate());
    db.execute_unprepared(&format!(
        "INSERT INTO vouchers (id, code, customer_id, order_id, amount_cents, currency, status, issued_at, redeemed_at) VALUES \
         (gen_random_uuid(), '{active}', 'old-1', gen_random_uuid(), 500, 'EUR', 'active', '2026-11-30T10:00:00Z', NULL), \
         (gen_random_uuid(), '{redeemed}', 'old-2', gen_random_uuid(), 500, 'EUR', 'redeemed', '2026-11-30T10:00:00Z', now())"
    ))
    .await
    .unwrap();
    Migrator::up(&db, None).await.unwrap();

    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT o.payload::text AS payload, v.expires_at, v.id AS voucher_id FROM outbox o JOIN vouchers v ON v.id = o.aggregate_id",
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "only the active voucher is announced");
    let payload: String = rows[0].try_get("", "payload").unwrap();
    let event = VoucherIssued::from_json(payload.as_bytes()).expect("the contract's event");
    assert_eq!(event.code_digest, active.digest());
    assert_eq!(
        event.voucher_id,
        rows[0].try_get::<uuid::Uuid>("", "voucher_id").unwrap()
    );
    let expires_at: chrono::DateTime<chrono::Utc> = rows[0].try_get("", "expires_at").unwrap();
    assert_eq!(
        expires_at,
        "2026-12-30T10:00:00Z".parse::<chrono::DateTime<chrono::Utc>>().unwrap() + chrono::Duration::days(60)
    );
    assert_eq!(event.expires_at, expires_at);
    assert_eq!((event.customer_id.as_str(), event.amount_cents), ("old-1", 500));

    // A redemption of the retired endpoint is in the history, of no order.
    let history = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            format!(
                "SELECT u.kind, u.order_id FROM voucher_usages u JOIN vouchers v ON v.id = u.voucher_id \
                 WHERE v.code = '{redeemed}'"
            ),
        ))
        .await
        .unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].try_get::<String>("", "kind").unwrap(), "redeemed");
    assert!(history[0].try_get::<uuid::Uuid>("", "order_id").unwrap().is_nil());
}
