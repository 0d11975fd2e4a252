use serde_json::Value;
use shared::testing::assert_invalid;

use crate::helpers::{assert_problem, order_body, spawn_app};

#[tokio::test]
async fn the_same_key_and_body_replay_the_first_order() {
    let app = spawn_app().await;
    let body = order_body("idem", &[(1, 100)]);
    let first = app.post_order_with_key("key-1", &body).await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.unwrap();

    let again = app.post_order_with_key("key-1", &body).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(
        again.headers()["location"].to_str().unwrap(),
        format!("/orders/{}", first["id"].as_str().unwrap())
    );
    let again: Value = again.json().await.unwrap();
    assert_eq!(again, first);
    assert_eq!(app.order_rows().await, 1);
}

#[tokio::test]
async fn the_replay_is_the_first_response_even_after_the_order_changed() {
    let app = spawn_app().await;
    let body = order_body("idem", &[(1, 100)]);
    let first: Value = app.post_order_with_key("key-2", &body).await.json().await.unwrap();
    app.patch_status(first["id"].as_str().unwrap(), "cancelled").await;
    let again: Value = app.post_order_with_key("key-2", &body).await.json().await.unwrap();
    assert_eq!(again["status"], "created");
    assert_eq!(again, first);
}

#[tokio::test]
async fn the_same_key_with_another_body_is_a_422_and_creates_nothing() {
    let app = spawn_app().await;
    assert_eq!(
        app.post_order_with_key("key-3", &order_body("idem", &[(1, 100)]))
            .await
            .status(),
        201
    );
    let problem = assert_problem(
        app.post_order_with_key("key-3", &order_body("idem", &[(2, 100)])).await,
        422,
    )
    .await;
    assert!(problem["detail"].as_str().unwrap().contains("different request body"));
    assert_eq!(app.order_rows().await, 1);
}

#[tokio::test]
async fn a_key_still_in_flight_is_a_409() {
    let app = spawn_app().await;
    let fingerprint = r#"{"customer_id":"idem","currency":"EUR","items":[["SKU-0",1,100]]}"#;
    app.count(&format!(
        "WITH claimed AS (INSERT INTO idempotency_keys (caller, key, fingerprint, order_snapshot, created_at, locked_until) VALUES ('order-tests', 'key-4', '{fingerprint}', NULL, now(), now() + interval '1 minute') RETURNING 1) SELECT count(*) FROM claimed"
    ))
    .await;
    let problem = assert_problem(
        app.post_order_with_key("key-4", &order_body("idem", &[(1, 100)])).await,
        409,
    )
    .await;
    assert!(problem["detail"].as_str().unwrap().contains("still being processed"));
    assert_eq!(app.order_rows().await, 0);
}

#[tokio::test]
async fn an_abandoned_claim_is_taken_over_after_its_lock_expires() {
    let app = spawn_app().await;
    let fingerprint = r#"{"customer_id":"idem","currency":"EUR","items":[["SKU-0",1,100]]}"#;
    app.count(&format!(
        "WITH claimed AS (INSERT INTO idempotency_keys (caller, key, fingerprint, order_snapshot, created_at, locked_until) VALUES ('order-tests', 'key-5', '{fingerprint}', NULL, now(), now() - interval '1 second') RETURNING 1) SELECT count(*) FROM claimed"
    ))
    .await;
    assert_eq!(
        app.post_order_with_key("key-5", &order_body("idem", &[(1, 100)]))
            .await
            .status(),
        201
    );
    assert_eq!(app.order_rows().await, 1);
}

#[tokio::test]
async fn concurrent_requests_with_one_key_create_one_order() {
    let app = spawn_app().await;
    let body = order_body("idem", &[(1, 100)]);
    let requests = (0..20).map(|_| app.post_order_with_key("key-6", &body));
    let responses = futures_util::future::join_all(requests).await;
    let mut ids = std::collections::HashSet::new();
    for response in responses {
        match response.status().as_u16() {
            201 => {
                ids.insert(response.json::<Value>().await.unwrap()["id"].clone());
            }
            409 => {}
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(ids.len(), 1);
    assert_eq!(app.order_rows().await, 1);
}

#[tokio::test]
async fn a_malformed_key_is_a_400() {
    let app = spawn_app().await;
    let long = "k".repeat(256);
    let response = app.post_order_with_key(&long, &order_body("idem", &[(1, 100)])).await;
    assert_invalid(response, &[("Idempotency-Key", KEY_RULE)]).await;
    assert_eq!(app.order_rows().await, 0);
}

const KEY_RULE: &str = "must be 1 to 255 bytes";

#[tokio::test]
async fn a_key_that_is_not_ascii_is_honoured_not_ignored() {
    let app = spawn_app().await;
    let mut replayed = Vec::new();
    for _ in 0..2 {
        let response = app
            .client
            .post(app.url("/orders"))
            .header(
                "Idempotency-Key",
                reqwest::header::HeaderValue::from_bytes(b"caf\xe9").unwrap(),
            )
            .json(&order_body("idem", &[(1, 100)]))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        replayed.push(response.headers().get("Idempotent-Replayed").is_some());
    }
    assert_eq!(replayed, [false, true]);
    assert_eq!(app.order_rows().await, 1);
}

#[tokio::test]
async fn a_bad_key_and_a_bad_body_are_listed_together() {
    let app = spawn_app().await;
    let response = app
        .post_order_with_key(&"k".repeat(256), &serde_json::json!({"customer_id": "", "items": []}))
        .await;
    assert_invalid(
        response,
        &[
            ("Idempotency-Key", KEY_RULE),
            (
                "customer_id",
                "must be 1 to 64 characters, not blank, without control characters",
            ),
            ("items", "must hold 1 to 100 items"),
        ],
    )
    .await;
    assert_eq!(app.order_rows().await, 0);
}

#[tokio::test]
async fn the_longest_key_of_bytes_outside_ascii_is_stored_and_replayed() {
    let app = spawn_app().await;
    let key = reqwest::header::HeaderValue::from_bytes(&[0xff; 255]).unwrap();
    let body = order_body("idem", &[(1, 100)]);
    let send = || {
        app.client
            .post(app.url("/orders"))
            .header("Idempotency-Key", key.clone())
            .json(&body)
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), 201);
    let again = send().await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(app.order_rows().await, 1);
}
