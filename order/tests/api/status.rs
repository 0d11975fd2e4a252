use checkout_testing::assert_invalid;
use serde_json::Value;

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn the_lifecycle_moves_created_sent_delivered() {
    let app = spawn_app().await;
    let order = app.create_order("cust", &[(1, 12_000)]).await;
    let id = order["id"].as_str().unwrap();

    let sent = app.patch_status(id, "sent").await;
    assert_eq!(sent.status(), 200);
    let sent: Value = sent.json().await.unwrap();
    assert_eq!(sent["status"], "sent");
    assert_eq!(app.outbox_rows().await, 1);

    let delivered: Value = app.patch_status(id, "delivered").await.json().await.unwrap();
    assert_eq!(delivered["status"], "delivered");
    assert_eq!(app.outbox_rows().await, 1, "only the change to sent emits an event");
}

#[tokio::test]
async fn setting_the_current_status_again_is_a_no_op_that_publishes_nothing() {
    let app = spawn_app().await;
    let order = app.create_order("cust", &[(1, 12_000)]).await;
    let id = order["id"].as_str().unwrap();
    let first: Value = app.patch_status(id, "sent").await.json().await.unwrap();
    let again = app.patch_status(id, "sent").await;
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["updated_at"], first["updated_at"]);
    assert_eq!(app.outbox_rows().await, 1);
}

#[tokio::test]
async fn a_refused_transition_is_a_json_409_and_changes_nothing() {
    let app = spawn_app().await;
    let order = app.create_order("cust", &[(1, 500)]).await;
    let id = order["id"].as_str().unwrap();
    assert_problem(app.patch_status(id, "delivered").await, 409).await;
    assert_eq!(app.patch_status(id, "cancelled").await.status(), 200);
    let problem = assert_problem(app.patch_status(id, "sent").await, 409).await;
    assert!(problem["detail"].as_str().unwrap().contains("cancelled"), "{problem}");
    let stored: Value = app.get(&format!("/orders/{id}")).await.json().await.unwrap();
    assert_eq!(stored["status"], "cancelled");
    assert_eq!(app.outbox_rows().await, 0);
}

#[tokio::test]
async fn an_unknown_status_is_a_json_400() {
    let app = spawn_app().await;
    let order = app.create_order("cust", &[(1, 500)]).await;
    let id = order["id"].as_str().unwrap();
    for status in ["shipped", "created", "SENT", ""] {
        let response = app.patch_status(id, status).await;
        assert_invalid(response, &[("status", "must be one of sent, delivered, cancelled")]).await;
    }
    let response = app
        .client
        .patch(app.url(&format!("/orders/{id}/status")))
        .json(&serde_json::json!({"state": "sent"}))
        .send()
        .await
        .unwrap();
    assert_invalid(response, &[("state", "is not a known field")]).await;
    // serde would read a variant from a map; a number or a list is not a status either.
    for body in [
        serde_json::json!({"status": {"sent": null}}),
        serde_json::json!({"status": 1}),
        serde_json::json!({"status": ["delivered"]}),
    ] {
        let response = app
            .client
            .patch(app.url(&format!("/orders/{id}/status")))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_invalid(response, &[("status", "must be one of sent, delivered, cancelled")]).await;
    }
    let stored: Value = app.get(&format!("/orders/{id}")).await.json().await.unwrap();
    assert_eq!(stored, order);
    assert_eq!(app.outbox_rows().await, 0);
}

#[tokio::test]
async fn changing_a_missing_order_is_a_json_404() {
    let app = spawn_app().await;
    let response = app.patch_status("0190f5a0-0000-7000-8000-000000000000", "sent").await;
    assert_problem(response, 404).await;
}

#[tokio::test]
async fn concurrent_changes_to_sent_produce_exactly_one_event() {
    let app = spawn_app().await;
    let order = app.create_order("race", &[(1, 20_000)]).await;
    let id = order["id"].as_str().unwrap().to_owned();
    let requests = (0..50).map(|_| app.patch_status(&id, "sent"));
    let responses = futures_util::future::join_all(requests).await;
    for response in responses {
        assert_eq!(response.status(), 200);
    }
    assert_eq!(app.outbox_rows().await, 1);
}
