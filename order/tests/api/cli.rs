//! The `order` binary itself: configuration errors and the migrate subcommand.

use std::process::Command;

fn order_binary(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_order"));
    // Run where no .env can be found, with nothing inherited but PATH.
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    cmd
}

fn empty_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("order-cli-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_missing_database_url_stops_the_service_naming_the_variable() {
    let output = order_binary(&empty_dir()).arg("serve").output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ORDER_DATABASE_URL"), "{stderr}");
}

#[test]
fn a_malformed_port_stops_the_service_naming_the_variable() {
    let output = order_binary(&empty_dir())
        .arg("serve")
        .env("ORDER_DATABASE_URL", "postgres://127.0.0.1:1/none")
        .env("ORDER_HTTP_PORT", "eighty")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ORDER_HTTP_PORT"), "{stderr}");
}

#[tokio::test]
async fn migrate_up_then_status_and_down_work_from_the_command_line() {
    let database_url = shared::testing::fresh_database().await;
    let run = |args: &[&str]| {
        let output = order_binary(&empty_dir())
            .args(args)
            .env("ORDER_DATABASE_URL", &database_url)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
    };
    run(&["migrate", "up"]);
    let db = shared::db::connect(&database_url, 1).await.unwrap();
    let tables = |db: sea_orm::DatabaseConnection| async move {
        use sea_orm::ConnectionTrait;
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT count(*) FROM information_schema.tables WHERE table_name IN ('orders', 'outbox')".to_owned(),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index::<i64>(0).unwrap()
    };
    assert_eq!(tables(db.clone()).await, 2);
    run(&["migrate", "status"]);
    run(&["migrate", "down", "--steps", "3"]);
    assert_eq!(tables(db).await, 0);
}
