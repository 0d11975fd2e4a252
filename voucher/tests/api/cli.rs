//! The `voucher` binary itself: configuration errors.

use std::process::Command;

/// Runs `voucher serve` with `vars` only (no .env, nothing inherited but PATH) and returns
/// its stderr, asserting that it refused to start.
fn refused_start(vars: &[(&str, &str)]) -> String {
    let dir = std::env::temp_dir().join(format!("voucher-cli-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_voucher"));
    cmd.current_dir(&dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .arg("serve")
        .env("VOUCHER_DATABASE_URL", "postgres://127.0.0.1:1/none");
    for (key, value) in vars {
        cmd.env(key, value);
    }
    let output = cmd.output().unwrap();
    assert!(!output.status.success(), "started with {vars:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn out_of_range_values_stop_the_service_naming_the_variable() {
    for (key, value) in [
        ("VOUCHER_CONSUMER_CONCURRENCY", "0"),
        ("VOUCHER_CONSUMER_QUEUE", "0"),
        ("VOUCHER_MAX_DELIVERIES", "0"),
        ("VOUCHER_THRESHOLD_CENTS", "-1"),
        ("VOUCHER_AMOUNT_CENTS", "-500"),
        ("VOUCHER_AMOUNT_CENTS", "0"),
        ("VOUCHER_THRESHOLD_CENTS", "100.5"),
        ("VOUCHER_HTTP_PORT", "70000"),
    ] {
        let stderr = refused_start(&[(key, value)]);
        assert!(stderr.contains(key), "{key}={value}: {stderr}");
    }
}

#[test]
fn a_missing_database_url_stops_the_service_naming_the_variable() {
    let dir = std::env::temp_dir();
    let output = Command::new(env!("CARGO_BIN_EXE_voucher"))
        .current_dir(dir)
        .env_clear()
        .arg("serve")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("VOUCHER_DATABASE_URL"), "{stderr}");
}
