use crate::helpers::{assert_problem, spawn_app, spawn_app_with};

#[tokio::test]
async fn health_and_ready_answer_200_when_dependencies_are_up() {
    let app = spawn_app().await;
    let health = app.admin("/health").await;
    assert_eq!(health.status(), 200);
    let ready = app.admin("/ready").await;
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    let names: Vec<_> = body["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].clone())
        .collect();
    assert_eq!(names, ["database", "redis", "event_consumer"]);
}

#[tokio::test]
async fn without_redis_the_order_service_stays_ready_and_takes_orders() {
    // A Redis that is not there: nothing listens on the port.
    let port = checkout_testing::free_port();
    let app = spawn_app_with(|s| s.redis_url = format!("redis://order:x@127.0.0.1:{port}")).await;
    let ready = app.admin("/ready").await;
    assert_eq!(
        ready.status(),
        200,
        "a load balancer checking /ready keeps sending orders"
    );
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(
        body["dependencies"][1],
        serde_json::json!({"name": "redis", "status": "unavailable", "required": false})
    );
    let metrics = app.admin("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("dependency_up{dependency=\"redis\"} 0"), "{metrics}");
    let created = app.create_order("cust-1", &[(1, 20_000)]).await;
    let id = created["id"].as_str().unwrap();
    let sent = app.patch_status(id, "sent").await;
    assert_eq!(sent.status(), 200);
    let unpublished = app
        .count("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        .await;
    assert_eq!(unpublished, 1, "the event waits in the outbox");
}

#[tokio::test]
async fn the_openapi_document_and_swagger_ui_are_served() {
    let app = spawn_app().await;
    let spec = app.get("/openapi.json").await;
    assert_eq!(spec.status(), 200);
    let spec: serde_json::Value = spec.json().await.unwrap();
    assert!(spec["paths"]["/orders"]["post"].is_object(), "{spec}");
    assert!(spec["paths"]["/orders/{id}/status"]["patch"]["responses"]["409"].is_object());
    let schemas = &spec["components"]["schemas"];
    assert_eq!(schemas["CreateOrderRequest"]["additionalProperties"], false);
    assert_eq!(
        schemas["CreateOrderRequest"]["properties"]["customer_id"]["pattern"],
        checkout_domain::TEXT_PATTERN
    );
    assert_eq!(
        schemas["OrderLineRequest"]["properties"]["sku"]["pattern"],
        checkout_domain::TEXT_PATTERN
    );
    assert_eq!(
        schemas["PutProductRequest"]["properties"]["name"]["pattern"],
        checkout_domain::TEXT_PATTERN
    );
    assert!(spec["paths"]["/products/{sku}"]["put"]["responses"]["201"].is_object());
    let list_params = spec["paths"]["/orders"]["get"]["parameters"].as_array().unwrap();
    let customer = list_params.iter().find(|p| p["name"] == "customer_id").unwrap();
    assert_eq!(customer["schema"]["pattern"], checkout_domain::TEXT_PATTERN);
    let docs = app.get("/docs").await;
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("swagger"));
}

#[tokio::test]
async fn the_document_states_the_domain_limits() {
    use checkout_domain::MAX_TEXT_CHARS;
    use order::application::domain::{IdempotencyKey, ItemCount, OrderStatus, PageLimit, Quantity, UnitPrice};

    let app = spawn_app().await;
    let spec: serde_json::Value = app.get("/openapi.json").await.json().await.unwrap();
    let schemas = &spec["components"]["schemas"];
    let line = &schemas["OrderLineRequest"]["properties"];
    assert_eq!(line["quantity"]["minimum"], Quantity::MIN);
    assert_eq!(line["quantity"]["maximum"], Quantity::MAX);
    assert_eq!(line["sku"]["maxLength"], MAX_TEXT_CHARS);
    let put = &schemas["PutProductRequest"]["properties"];
    assert_eq!(put["unit_price_cents"]["minimum"], UnitPrice::MIN_CENTS);
    assert_eq!(put["unit_price_cents"]["maximum"], UnitPrice::MAX_CENTS);
    assert_eq!(put["name"]["maxLength"], MAX_TEXT_CHARS);
    let request = &schemas["CreateOrderRequest"]["properties"];
    assert_eq!(request["customer_id"]["maxLength"], MAX_TEXT_CHARS);
    assert_eq!(request["items"]["minItems"], ItemCount::MIN);
    assert_eq!(request["items"]["maxItems"], ItemCount::MAX);
    let param = |path: &str, method: &str, name: &str| {
        spec["paths"][path][method]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{method} {path} has no parameter {name}"))["schema"]
            .clone()
    };
    let limit = param("/orders", "get", "limit");
    assert_eq!(
        (limit["minimum"].clone(), limit["maximum"].clone()),
        (PageLimit::MIN.into(), PageLimit::MAX.into())
    );
    assert_eq!(limit["default"], PageLimit::DEFAULT.get());
    let statuses: Vec<_> = OrderStatus::ALL.map(OrderStatus::as_str).into();
    assert_eq!(param("/orders", "get", "status")["enum"], serde_json::json!(statuses));
    assert_eq!(param("/orders", "get", "customer_id")["maxLength"], MAX_TEXT_CHARS);
    assert_eq!(
        param("/orders", "post", "Idempotency-Key")["maxLength"],
        IdempotencyKey::MAX_BYTES
    );
    assert_eq!(param("/orders/{id}", "get", "id")["format"], "uuid");
}

#[tokio::test]
async fn an_unknown_route_is_a_json_404() {
    let app = spawn_app().await;
    assert_problem(app.get("/nope").await, 404).await;
}

#[tokio::test]
async fn a_request_id_is_echoed_or_generated() {
    let app = spawn_app().await;
    let echoed = app
        .client
        .get(app.url("/openapi.json"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "abc-123");
    let generated = app.get("/openapi.json").await;
    assert_eq!(generated.headers()["x-request-id"].len(), 36);
}

#[tokio::test]
async fn a_wrong_method_is_a_json_405_with_allow() {
    let app = spawn_app().await;
    let response = app.client.delete(app.url("/orders")).send().await.unwrap();
    assert_eq!(response.headers()["allow"], "GET, HEAD, POST");
    assert_problem(response, 405).await;
    let response = app
        .client
        .put(app.url("/orders/0190f5a0-0000-7000-8000-000000000000/status"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["allow"], "PATCH");
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_domain_events() {
    let app = spawn_app().await;
    let order = app.create_order("metered", &[(1, 15_000)]).await;
    app.patch_status(order["id"].as_str().unwrap(), "sent").await;
    let response = app.admin("/metrics").await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    for expected in [
        r#"http_requests_total{method="POST",route="/orders",status="201"}"#,
        r#"http_requests_total{method="PATCH",route="/orders/{id}/status",status="200"}"#,
        r#"http_request_duration_seconds_bucket{method="POST",route="/orders",le="0.005"}"#,
        "orders_created_total",
        r#"order_status_changes_total{to="sent"}"#,
    ] {
        assert!(text.contains(expected), "missing {expected} in\n{text}");
    }
}

#[tokio::test]
async fn probes_and_metrics_are_served_on_the_admin_port_only() {
    let app = spawn_app().await;
    for path in ["/health", "/ready", "/metrics"] {
        assert_eq!(app.admin(path).await.status(), 200, "{path} on the admin port");
        assert_problem(app.get(path).await, 404).await;
    }
    let admin_api = app.admin("/orders").await;
    assert_eq!(admin_api.status(), 404, "the API is not on the admin port");
}

#[tokio::test]
async fn an_unknown_method_adds_no_metric_series_of_its_own() {
    let app = spawn_app().await;
    let method = reqwest::Method::from_bytes(b"FOOBAR").unwrap();
    let response = app.client.request(method, app.url("/orders")).send().await.unwrap();
    assert_problem(response, 405).await;
    let text = app.admin("/metrics").await.text().await.unwrap();
    assert!(!text.contains("FOOBAR"), "a series names the made-up method:\n{text}");
    assert!(
        text.contains(r#"http_requests_total{method="other",route="/orders",status="405"}"#),
        "{text}"
    );
}

#[tokio::test]
async fn the_migrated_schema_states_the_domain_limits() {
    use checkout_domain::MAX_TEXT_CHARS;
    use order::application::domain::{IdempotencyKey, OrderStatus};

    let app = spawn_app().await;
    let length = app
        .count(
            "SELECT character_maximum_length::bigint FROM information_schema.columns \
             WHERE table_name = 'orders' AND column_name = 'customer_id'",
        )
        .await;
    assert_eq!(length, MAX_TEXT_CHARS as i64);
    // The status CHECK names each of the domain's statuses.
    let statuses: Vec<_> = OrderStatus::ALL.map(|s| format!("'{s}'")).into();
    let check = app
        .count(&format!(
            "SELECT count(*) FROM pg_constraint WHERE conrelid = 'orders'::regclass AND contype = 'c' \
             AND pg_get_constraintdef(oid) LIKE '%status%' AND {}",
            statuses
                .iter()
                .map(|s| format!("pg_get_constraintdef(oid) LIKE '%{}%'", s.replace('\'', "''")))
                .collect::<Vec<_>>()
                .join(" AND ")
        ))
        .await;
    assert_eq!(check, 1, "the status CHECK names every domain status");
    let key_length = app
        .count(
            "SELECT character_maximum_length::bigint FROM information_schema.columns \
             WHERE table_name = 'idempotency_keys' AND column_name = 'key'",
        )
        .await;
    assert_eq!(key_length, IdempotencyKey::MAX_STORED_CHARS as i64);
}
