//! Who may call the voucher API: a verified bearer token on every voucher operation, the
//! scopes each needs, and customers confined to their own vouchers.

use std::time::Duration;

use checkout_auth::Scope;
use checkout_testing::{REFETCH_INTERVAL, assert_insufficient_scope, assert_unauthorized, refused_start, run_binary};
use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::helpers::{VoucherApp, assert_problem, spawn_voucher_app};

const VOUCHER: &str = env!("CARGO_BIN_EXE_voucher");
const UNKNOWN_CODE: &str = "0000-0000-0000-0000";

/// Asserts a 401 that asks for a valid bearer token, as a problem.
async fn assert_unauthenticated(response: Response, what: &str) {
    assert_eq!(response.status(), 401, "{what}");
    assert_unauthorized(response).await;
}

/// Issues a voucher to `customer`; returns its code.
async fn voucher_of(app: &VoucherApp, customer: &str) -> String {
    app.issue(customer).await["code"].as_str().unwrap().to_owned()
}

async fn send(app: &VoucherApp, method: Method, path: &str, token: &str) -> Response {
    app.request(method, path, token).send().await.unwrap()
}

#[tokio::test]
async fn every_voucher_operation_refuses_a_missing_or_forged_token_and_changes_nothing() {
    let app = spawn_voucher_app().await;
    let code = voucher_of(&app, "alice").await;
    let all = [Scope::VouchersRead, Scope::VouchersAdmin];
    let operations = [
        (Method::GET, "/vouchers?customer_id=alice".to_owned()),
        (Method::GET, "/vouchers".to_owned()),
        (Method::GET, format!("/vouchers/{code}")),
        // The token is checked before anything else of the request.
        (Method::GET, "/vouchers?limit=0".to_owned()),
        (Method::GET, "/vouchers/not-a-code".to_owned()),
    ];

    for (method, path) in &operations {
        let anonymous = app.client.request(method.clone(), app.url(path)).send().await.unwrap();
        assert_unauthenticated(anonymous, &format!("{method} {path} without a token")).await;
        let basic = app
            .client
            .request(method.clone(), app.url(path))
            .basic_auth("alice", Some("secret"))
            .send()
            .await
            .unwrap();
        assert_unauthenticated(basic, &format!("{method} {path} with a password")).await;
        for (what, token) in app.issuer.forgeries("alice", &all) {
            let forged = send(&app, method.clone(), path, &token).await;
            assert_unauthenticated(forged, &format!("{method} {path}: {what}")).await;
        }
    }

    assert_eq!(app.stored_status(&code).await.as_deref(), Some("active"));
}

#[tokio::test]
async fn a_rotated_signing_key_is_picked_up_without_a_restart() {
    let app = spawn_voucher_app().await;
    let code = voucher_of(&app, "alice").await;
    let path = format!("/vouchers/{code}");
    let before = app.customer_token("alice");
    assert_eq!(send(&app, Method::GET, &path, &before).await.status(), 200);
    let fetched = app.issuer.jwks_requests();

    app.issuer.rotate();
    // The keys were loaded at start; an unknown key reloads them at most once per interval.
    tokio::time::sleep(REFETCH_INTERVAL + Duration::from_millis(100)).await;

    let after = app.customer_token("alice");
    assert_eq!(send(&app, Method::GET, &path, &after).await.status(), 200);
    assert_eq!(
        app.issuer.jwks_requests(),
        fetched + 1,
        "the new keys were fetched once"
    );
    let retired = send(&app, Method::GET, &path, &before).await;
    assert_unauthenticated(retired, "a token signed with the retired key").await;
}

#[tokio::test]
async fn a_token_without_the_needed_scope_is_403_naming_the_scopes_and_changes_nothing() {
    let app = spawn_voucher_app().await;
    let code = voucher_of(&app, "alice").await;
    let orders_only = app.issuer.customer("alice", &[Scope::OrdersWrite, Scope::OrdersAdmin]);
    for path in [
        format!("/vouchers/{code}"),
        "/vouchers".to_owned(),
        "/vouchers?customer_id=alice".to_owned(),
    ] {
        let response = send(&app, Method::GET, &path, &orders_only).await;
        assert_insufficient_scope(response, "vouchers:read vouchers:admin").await;
    }
    assert_eq!(app.stored_status(&code).await.as_deref(), Some("active"));
}

#[tokio::test]
async fn another_customers_voucher_is_a_404_exactly_like_a_missing_one() {
    let app = spawn_voucher_app().await;
    let bobs = voucher_of(&app, "bob").await;
    let alice = app.customer_token("alice");

    let theirs = assert_problem(send(&app, Method::GET, &format!("/vouchers/{bobs}"), &alice).await, 404).await;
    let missing = assert_problem(
        send(&app, Method::GET, &format!("/vouchers/{UNKNOWN_CODE}"), &alice).await,
        404,
    )
    .await;
    assert_eq!(theirs, missing);
    assert_eq!(theirs["type"], "/problems/voucher-not-found");
}

#[tokio::test]
async fn there_is_no_redeeming_but_through_an_order() {
    let app = spawn_voucher_app().await;
    let code = voucher_of(&app, "alice").await;
    let owner = app.customer_token("alice");
    let response = send(&app, Method::POST, &format!("/vouchers/{code}/redeem"), &owner).await;
    assert_eq!(response.status(), 404, "the bare redemption endpoint is gone");
    assert_eq!(app.stored_status(&code).await.as_deref(), Some("active"));
}

#[tokio::test]
async fn a_customer_lists_its_own_vouchers_only() {
    let app = spawn_voucher_app().await;
    let first = app.issue("alice").await;
    let second = app.issue("alice").await;
    let bobs = app.issue("bob").await;
    let alice = app.customer_token("alice");
    let list = |query: String| {
        let request = app.request(Method::GET, &format!("/vouchers{query}"), &alice);
        async move { request.send().await.unwrap() }
    };
    let items = |body: Value| body["items"].as_array().unwrap().clone();

    let own = [second.clone(), first.clone()];
    assert_eq!(items(list(String::new()).await.json().await.unwrap()), own);
    assert_eq!(
        items(list("?customer_id=alice".into()).await.json().await.unwrap()),
        own
    );
    let by_order = list(format!("?order_id={}", first["order_id"].as_str().unwrap())).await;
    assert_eq!(items(by_order.json().await.unwrap()), [first]);
    let bobs_order = list(format!("?order_id={}", bobs["order_id"].as_str().unwrap())).await;
    assert_eq!(items(bobs_order.json().await.unwrap()), Vec::<Value>::new());

    let naming_bob = list("?customer_id=bob".into()).await;
    assert!(
        naming_bob.headers().get("www-authenticate").is_none(),
        "the token is fine, the request is not"
    );
    let problem = assert_problem(naming_bob, 403).await;
    assert_eq!(problem["type"], "/problems/other-customer", "{problem}");
}

#[tokio::test]
async fn support_staff_read_any_customers_vouchers() {
    let app = spawn_voucher_app().await;
    let bobs = app.issue("bob").await;
    let staff = app.admin_token();
    let code = bobs["code"].as_str().unwrap();

    let found: Value = send(&app, Method::GET, &format!("/vouchers/{code}"), &staff)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found, bobs);
    let listed: Value = send(&app, Method::GET, "/vouchers?customer_id=bob", &staff)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"], json!([bobs]));
    let unfiltered = send(&app, Method::GET, "/vouchers", &staff).await;
    assert_problem(unfiltered, 400).await;
}

#[tokio::test]
async fn the_open_endpoints_need_no_token_and_the_document_states_each_operations_scopes() {
    let app = spawn_voucher_app().await;
    checkout_testing::assert_access_is_documented(
        &app.address,
        &app.admin_address,
        &[
            ("get", "/vouchers", &["vouchers:read", "vouchers:admin"]),
            ("get", "/vouchers/{code}", &["vouchers:read", "vouchers:admin"]),
        ],
    )
    .await;
}

/// A database that cannot be reached: a start that gets this far fails there.
const NO_DATABASE: (&str, &str) = ("VOUCHER_DATABASE_URL", "postgres://127.0.0.1:1/none");

#[test]
fn the_service_refuses_to_start_without_authentication_naming_what_to_set() {
    let stderr = refused_start(VOUCHER, &[NO_DATABASE]);
    for variable in ["AUTH_ISSUER", "AUTH_JWKS_URL", "AUTH_JWKS_FILE"] {
        assert!(stderr.contains(variable), "{variable}: {stderr}");
    }
    assert!(
        !stderr.contains("VOUCHER_DATABASE_URL"),
        "refused before the database: {stderr}"
    );

    let stderr = refused_start(VOUCHER, &[NO_DATABASE, ("AUTH_JWKS_URL", "http://127.0.0.1:1/jwks")]);
    assert!(stderr.contains("AUTH_ISSUER"), "{stderr}");
    let issuer = ("AUTH_ISSUER", "https://id.example.test/");
    let stderr = refused_start(VOUCHER, &[NO_DATABASE, issuer]);
    assert!(stderr.contains("AUTH_JWKS_URL"), "{stderr}");
    let complete = [
        NO_DATABASE,
        issuer,
        ("AUTH_JWKS_FILE", "/nonexistent/jwks.json"),
        ("VOUCHER_AUTH_AUDIENCE", ""),
        ("EVENT_VERIFY_KEYS", checkout_testing::event_keys().jwks()),
        (
            "VOUCHER_EVENT_SIGNING_KEY",
            checkout_testing::voucher_event_keys().pem(),
        ),
    ];
    let stderr = refused_start(VOUCHER, &complete);
    assert!(
        stderr.contains("VOUCHER_DATABASE_URL"),
        "an empty audience takes the default; it got as far as the database: {stderr}"
    );
}

#[test]
fn unreachable_keys_do_not_stop_the_start() {
    let output = run_binary(
        VOUCHER,
        &["serve"],
        &[
            NO_DATABASE,
            ("AUTH_ISSUER", "https://id.example.test/"),
            ("AUTH_JWKS_URL", "http://127.0.0.1:1/jwks"),
            ("EVENT_VERIFY_KEYS", checkout_testing::event_keys().jwks()),
            (
                "VOUCHER_EVENT_SIGNING_KEY",
                checkout_testing::voucher_event_keys().pem(),
            ),
        ],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("VOUCHER_DATABASE_URL"),
        "it went on to the database: {stderr}"
    );
    let log = String::from_utf8_lossy(&output.stdout);
    assert!(log.contains("issuer's keys"), "the missing keys are logged: {log}");
}
