use serde_json::{Value, json};

use crate::helpers::{assert_problem, order_body, spawn_app};

#[tokio::test]
async fn creating_an_order_returns_201_with_location_and_the_computed_total() {
    let app = spawn_app().await;
    let response = app.post_order(&order_body("cust-1", &[(2, 4_999), (3, 1_000)])).await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let order: Value = response.json().await.unwrap();
    assert_eq!(location, format!("/orders/{}", order["id"].as_str().unwrap()));
    assert_eq!(order["total_cents"], 2 * 4_999 + 3 * 1_000);
    assert_eq!(order["status"], "created");
    assert_eq!(order["currency"], "EUR");
    assert_eq!(order["customer_id"], "cust-1");
    assert_eq!(
        order["items"],
        json!([
            {"sku": "P-4999", "name": "Priced 4999", "quantity": 2, "unit_price_cents": 4_999},
            {"sku": "P-1000", "name": "Priced 1000", "quantity": 3, "unit_price_cents": 1_000},
        ])
    );
    assert!(order["created_at"].is_string() && order["updated_at"].is_string());

    let fetched: Value = app.get(&location).await.json().await.unwrap();
    assert_eq!(fetched, order);
}

#[tokio::test]
async fn a_total_sent_by_the_client_is_refused_not_trusted() {
    let app = spawn_app().await;
    let mut body = order_body("cust-1", &[(1, 100)]);
    body["total_cents"] = json!(999_999);
    assert_problem(app.post_order(&body).await, 400).await;
    assert_eq!(app.order_rows().await, 0);
}

#[tokio::test]
async fn invalid_orders_get_a_json_400_and_store_nothing() {
    let app = spawn_app().await;
    let item = |q: Value| json!({"sku": "P-1", "quantity": q});
    let cases = [
        json!({"items": [item(json!(1))]}),
        json!({"customer_id": "", "items": [item(json!(1))]}),
        json!({"customer_id": "c".repeat(65), "items": [item(json!(1))]}),
        json!({"customer_id": "c", "items": []}),
        json!({"customer_id": "c", "items": vec![item(json!(1)); 101]}),
        json!({"customer_id": "c", "items": [item(json!(0))]}),
        json!({"customer_id": "c", "items": [item(json!(1001))]}),
        json!({"customer_id": "c", "items": [item(json!(-1))]}),
        json!({"customer_id": "c", "items": [item(json!(1e30))]}),
        json!({"customer_id": "c", "items": [item(json!(9_223_372_036_854_775_807u64 + 1))]}),
        json!({"customer_id": "c", "items": [item(json!("2"))]}),
        json!({"customer_id": "c", "items": [item(json!(1.5))]}),
        json!({"customer_id": "c", "items": [{"sku": "", "quantity": 1}]}),
        json!({"customer_id": "c", "items": [{"sku": "s".repeat(65), "quantity": 1}]}),
        json!({"customer_id": "c", "items": [{"sku": "\t", "quantity": 1}]}),
        json!({"customer_id": "c", "items": [{"quantity": 1}]}),
        json!({"customer_id": "c", "items": [item(json!(1))], "currency": "USD"}),
        json!({"customer_id": 42, "items": [item(json!(1))]}),
        json!({"customer_id": "c", "items": "many"}),
        json!({"customer_id": "c", "items": [item(json!(1))], "surprise": true}),
        json!({"customer_id": "a\u{0}b", "items": [item(json!(1))]}),
        json!({"customer_id": "\u{3000}", "items": [item(json!(1))]}),
        json!({"customer_id": "c", "items": [item(json!(1))], "currency": "eur"}),
        json!([1, 2, 3]),
    ];
    for body in cases {
        let response = app.post_order(&body).await;
        assert_eq!(response.status(), 400, "{body}");
        let problem = assert_problem(response, 400).await;
        assert!(problem["detail"].as_str().unwrap().len() > 5, "{body} -> {problem}");
    }
    assert_eq!(app.order_rows().await, 0);
}

#[tokio::test]
async fn malformed_json_gets_a_json_400() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/orders"))
        .header("content-type", "application/json")
        .body("{\"customer_id\": \"c\", \"items\": [")
        .send()
        .await
        .unwrap();
    assert_problem(response, 400).await;
    assert_eq!(app.order_rows().await, 0);
}

#[tokio::test]
async fn a_body_that_is_not_json_gets_a_json_415() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/orders"))
        .header("content-type", "text/plain")
        .body("customer_id=c")
        .send()
        .await
        .unwrap();
    assert_problem(response, 415).await;
}

#[tokio::test]
async fn an_oversized_body_gets_a_json_413() {
    let app = spawn_app().await;
    let body = json!({"customer_id": "c", "items": [], "padding": "x".repeat(100 * 1024)});
    assert_problem(app.post_order(&body).await, 413).await;
    assert_eq!(app.order_rows().await, 0);
}

#[tokio::test]
async fn a_missing_order_is_a_json_404_and_a_bad_id_a_json_400() {
    let app = spawn_app().await;
    assert_problem(app.get("/orders/0190f5a0-0000-7000-8000-000000000000").await, 404).await;
    assert_problem(app.get("/orders/not-a-uuid").await, 400).await;
}

#[tokio::test]
async fn listing_filters_by_customer_and_status_newest_first() {
    let app = spawn_app().await;
    let first = app.create_order("alice", &[(1, 100)]).await;
    let second = app.create_order("alice", &[(1, 200)]).await;
    app.create_order("bob", &[(1, 300)]).await;
    let id = second["id"].as_str().unwrap();
    assert_eq!(app.patch_status(id, "sent").await.status(), 200);

    let page: Value = app.get("/orders?customer_id=alice").await.json().await.unwrap();
    let ids: Vec<_> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].clone())
        .collect();
    assert_eq!(ids, [second["id"].clone(), first["id"].clone()]);
    assert!(page.get("next_cursor").is_none_or(Value::is_null));

    let sent: Value = app
        .get("/orders?customer_id=alice&status=sent")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sent["items"].as_array().unwrap().len(), 1);
    assert_eq!(sent["items"][0]["id"], second["id"]);
}

#[tokio::test]
async fn pages_follow_the_cursor_without_gaps_or_repeats() {
    let app = spawn_app().await;
    let mut created = Vec::new();
    for i in 0..5 {
        created.push(app.create_order("pager", &[(1, 100 + i)]).await["id"].clone());
    }
    created.reverse();
    let mut seen = Vec::new();
    let mut path = "/orders?customer_id=pager&limit=2".to_owned();
    loop {
        let page: Value = app.get(&path).await.json().await.unwrap();
        seen.extend(page["items"].as_array().unwrap().iter().map(|o| o["id"].clone()));
        match page.get("next_cursor").and_then(Value::as_str) {
            Some(cursor) => path = format!("/orders?customer_id=pager&limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, created);
}

#[tokio::test]
async fn bad_list_parameters_get_a_json_400() {
    let app = spawn_app().await;
    for query in [
        "customer_id=%00",
        "limit=0",
        "limit=101",
        "limit=ten",
        "status=shipped",
        "cursor=nope",
        "limit=-1",
    ] {
        assert_problem(app.get(&format!("/orders?{query}")).await, 400).await;
    }
}

#[tokio::test]
async fn a_null_currency_means_eur() {
    let app = spawn_app().await;
    let mut body = order_body("c", &[(1, 100)]);
    body["currency"] = Value::Null;
    let response = app.post_order(&body).await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.json::<Value>().await.unwrap()["currency"], "EUR");
}

#[tokio::test]
async fn the_last_page_has_no_next_cursor_field() {
    let app = spawn_app().await;
    let page: Value = app.get("/orders?customer_id=nobody").await.json().await.unwrap();
    assert!(page.get("next_cursor").is_none(), "{page}");
}
