//! The voucher database as the service reaches it: as a role that may read and write rows
//! and nothing else (TLS is tested once, with the order service).

use checkout_testing::{assert_runtime_role_cannot_change_the_schema, migrated_database};
use voucher::infrastructure::migrations::Migrator;

#[tokio::test]
async fn the_service_role_may_read_and_write_rows_but_not_change_the_schema() {
    let (database, _) = migrated_database::<Migrator>().await;
    assert_runtime_role_cannot_change_the_schema(&database, "vouchers").await;
}
