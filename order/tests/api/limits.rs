//! Rate limits per caller on the writes.

use checkout_auth::Scope;
use serde_json::Value;

use crate::helpers::{TestApp, assert_problem, client_with, order_body, spawn_app_with};

/// Two writes at once per caller, then one a second.
async fn spawn_strict_app() -> TestApp {
    spawn_app_with(|settings| {
        let limits = &mut settings.http_limits;
        limits.rate_limit_writes_per_sec = 1;
        limits.rate_limit_writes_burst = 2;
    })
    .await
}

#[tokio::test]
async fn writes_over_the_limit_get_429_with_retry_after_and_change_nothing() {
    let app = spawn_strict_app().await;
    for _ in 0..2 {
        assert_eq!(app.post_order(&order_body("alice", &[(1, 100)])).await.status(), 201);
    }
    // Not even parsed: this body would be a 400.
    let refused = app.post_order_text("{not json").send().await.unwrap();
    assert_eq!(refused.status(), 429);
    let retry_after: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry_after), "Retry-After: {retry_after}");
    let problem: Value = assert_problem(refused, 429).await;
    assert_eq!(problem["type"], "/problems/rate-limited");
    let refused = app.post_order(&order_body("alice", &[(1, 100)])).await;
    assert_eq!(refused.status(), 429);
    assert_eq!(app.order_rows().await, 2, "a refused write changes nothing");

    let metrics = app.admin("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(r#"http_rate_limited_total{class="write",caller="subject"} "#),
        "{metrics}"
    );
}

#[tokio::test]
async fn callers_are_counted_apart_by_their_tokens_subject() {
    let app = spawn_strict_app().await;
    for _ in 0..3 {
        app.post_order(&order_body("alice", &[(1, 100)])).await;
    }
    assert_eq!(app.post_order(&order_body("alice", &[(1, 100)])).await.status(), 429);
    let other = client_with(&app.issuer.client("checkout-2", &[Scope::OrdersWrite]));
    let response = other
        .post(app.url("/orders"))
        .json(&order_body("alice", &[(1, 100)]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "another caller has a limit of its own");
}

#[tokio::test]
async fn a_caller_without_a_valid_token_is_limited_by_address_and_gets_401_under_the_limit() {
    let app = spawn_strict_app().await;
    let post = |token: Option<&str>| {
        let request = app
            .anonymous
            .post(app.url("/orders"))
            .json(&order_body("alice", &[(1, 100)]));
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    };
    assert_problem(post(None).send().await.unwrap(), 401).await;
    assert_problem(post(Some("forged")).send().await.unwrap(), 401).await;
    let refused = post(None).send().await.unwrap();
    assert!(refused.headers().contains_key("retry-after"));
    assert_problem(refused, 429).await;
    // The address is spent; a valid token is a caller of its own.
    assert_eq!(app.post_order(&order_body("alice", &[(1, 100)])).await.status(), 201);
}

#[tokio::test]
async fn reads_of_orders_are_not_limited_and_the_document_states_the_429_of_writes() {
    let app = spawn_strict_app().await;
    for _ in 0..10 {
        assert_eq!(app.get("/orders").await.status(), 200);
    }
    let spec: Value = app.get("/openapi.json").await.json().await.unwrap();
    for (path, method) in [("/orders", "post"), ("/orders/{id}/status", "patch")] {
        let answer = &spec["paths"][path][method]["responses"]["429"];
        assert!(
            answer["headers"]["Retry-After"].is_object(),
            "{method} {path}: {answer}"
        );
        assert_eq!(
            answer["content"]["application/problem+json"]["schema"]["$ref"],
            "#/components/schemas/Problem"
        );
    }
    assert!(spec["paths"]["/orders"]["get"]["responses"].get("429").is_none());
}
