//! The `voucher` binary itself: configuration errors.

const VOUCHER: &str = env!("CARGO_BIN_EXE_voucher");

/// A complete authentication configuration, so that only the variable under test is wrong.
const AUTH: [(&str, &str); 2] = [
    ("AUTH_ISSUER", "https://id.example.test/"),
    ("AUTH_JWKS_FILE", "/nonexistent/jwks.json"),
];

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
        ("VOUCHER_VALIDITY_SECONDS", "0"),
        ("VOUCHER_VALIDITY_SECONDS", "316224001"),
    ] {
        let vars = [
            AUTH[0],
            AUTH[1],
            ("EVENT_VERIFY_KEYS", checkout_testing::event_keys().jwks()),
            ("VOUCHER_DATABASE_URL", "postgres://127.0.0.1:1/none"),
            (key, value),
        ];
        let stderr = checkout_testing::refused_start(VOUCHER, &vars);
        assert!(stderr.contains(key), "{key}={value}: {stderr}");
    }
}

#[test]
fn a_missing_database_url_stops_the_service_naming_the_variable() {
    let stderr = checkout_testing::refused_start(VOUCHER, &AUTH);
    assert!(stderr.contains("VOUCHER_DATABASE_URL"), "{stderr}");
}

#[test]
fn without_usable_event_keys_the_service_refuses_to_start_naming_them() {
    let database = ("VOUCHER_DATABASE_URL", "postgres://127.0.0.1:1/none");
    for keys in [None, Some("/nonexistent/jwks.json"), Some(r#"{"keys": []}"#)] {
        let vars: Vec<_> = [AUTH[0], AUTH[1], database]
            .into_iter()
            .chain(keys.map(|k| ("EVENT_VERIFY_KEYS", k)))
            .collect();
        let stderr = checkout_testing::refused_start(VOUCHER, &vars);
        assert!(
            stderr.contains("EVENT_VERIFY_KEYS") && !stderr.contains("VOUCHER_DATABASE_URL"),
            "{keys:?}: {stderr}"
        );
    }
}

#[test]
fn without_a_usable_signing_key_of_its_own_the_service_refuses_to_start_naming_it() {
    let database = ("VOUCHER_DATABASE_URL", "postgres://127.0.0.1:1/none");
    let verify = ("EVENT_VERIFY_KEYS", checkout_testing::event_keys().jwks());
    for key in [
        None,
        Some("/nonexistent/key.pem"),
        Some("-----BEGIN PRIVATE KEY-----\nnot a key"),
    ] {
        let vars: Vec<_> = [AUTH[0], AUTH[1], database, verify]
            .into_iter()
            .chain(key.map(|k| ("VOUCHER_EVENT_SIGNING_KEY", k)))
            .collect();
        let stderr = checkout_testing::refused_start(VOUCHER, &vars);
        assert!(
            stderr.contains("VOUCHER_EVENT_SIGNING_KEY") && !stderr.contains("VOUCHER_DATABASE_URL"),
            "{key:?}: {stderr}"
        );
    }
}

#[test]
fn serve_help_lists_the_voucher_policy_and_authentication_with_their_defaults() {
    let output = checkout_testing::run_binary(VOUCHER, &["serve", "--help"], &[]);
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for (key, default) in [
        ("VOUCHER_THRESHOLD_CENTS", "10000"),
        ("VOUCHER_AMOUNT_CENTS", "500"),
        ("VOUCHER_HTTP_PORT", "54323"),
        ("VOUCHER_ADMIN_PORT", "54333"),
        ("VOUCHER_DEAD_LETTER_MAX_LEN", "100000"),
        ("HTTP_RATE_LIMIT_LOOKUPS_PER_SEC", "20"),
        ("VOUCHER_CLAIM_IDLE_MS", "30000"),
        ("VOUCHER_AUTH_AUDIENCE", "voucher"),
        ("AUTH_LEEWAY_SECS", "30"),
        ("AUTH_JWKS_REFETCH_SECS", "5"),
    ] {
        let line = help
            .lines()
            .find(|l| l.contains(&format!("[env: {key}")))
            .unwrap_or_else(|| panic!("{key}: {help}"));
        assert!(line.contains(&format!("[default: {default}]")), "{line}");
    }
    for key in [
        "AUTH_ISSUER",
        "AUTH_JWKS_URL",
        "AUTH_JWKS_FILE",
        "VOUCHER_REDIS_URL",
        "VOUCHER_REDIS_PASSWORD_FILE",
        "REDIS_CA_FILE",
    ] {
        assert!(help.contains(&format!("[env: {key}")), "{key} missing from:\n{help}");
    }
}
