//! The API reference: complete, shown by `/docs`, and true to what each operation answers.

use std::time::Duration;

use checkout_auth::Scope;
use checkout_testing::{
    StatusCoverage, assert_every_metric_is_described, assert_fields_in_documented_order, assert_reference_is_complete,
    served_document, take_the_database_away, until_limited,
};
use reqwest::Client;
use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::helpers::{PRICE_LIST_MAX_CENTS, TestApp, client_with, eventually, order_body, spawn_app, spawn_app_with};

const MISSING: &str = "/orders/0193a5c2-7f4e-7b21-9c3d-2f6e8a1b4c5d";

#[tokio::test]
async fn the_reference_describes_everything_and_docs_shows_the_served_document() {
    let app = spawn_app().await;
    assert_reference_is_complete(&app.address).await;
}

#[tokio::test]
async fn an_order_answers_with_its_fields_in_the_documented_order() {
    let app = spawn_app().await;
    let response = app.post_order(&order_body("alice", &[(2, 6000)])).await;
    let text = response.text().await.unwrap();
    assert!(text.starts_with(r#"{"id":""#), "{text}");
    let document = served_document(&app.address).await;
    assert_fields_in_documented_order(&text, &document, "OrderDto");
}

/// A client of its own subject, so that rate limits of one case never touch another.
fn caller(app: &TestApp, name: &str, scopes: &[Scope]) -> Client {
    client_with(&app.issuer.client(name, scopes))
}

/// Sends `head` and as much of a body as it says, then stalls: the server's answer.
async fn stalled_body(app: &TestApp, method: &str, path: &str, token: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"status\":"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut received)).await;
    let text = String::from_utf8_lossy(&received).into_owned();
    let status = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    // The body may come chunked: keep the JSON object only.
    let body = match (body.find('{'), body.rfind('}')) {
        (Some(start), Some(end)) => body[start..=end].to_owned(),
        _ => body,
    };
    (status, body)
}

#[tokio::test]
async fn every_operation_answers_each_declared_status_and_no_other() {
    // Longer than the 5 s a request waits for another with its Idempotency-Key.
    let app = spawn_app_with(|settings| {
        let limits = &mut settings.http_limits;
        limits.request_timeout_secs = 7;
        (limits.rate_limit_writes_per_sec, limits.rate_limit_writes_burst) = (1, 30);
    })
    .await;
    let mut coverage = StatusCoverage::of(&app.address).await;
    let all = [
        Scope::OrdersWrite,
        Scope::OrdersRead,
        Scope::OrdersStatus,
        Scope::OrdersAdmin,
        Scope::CatalogWrite,
    ];
    let anonymous = Client::new();
    let alice = client_with(&app.issuer.customer("alice", &[Scope::OrdersWrite, Scope::OrdersRead]));
    let unscoped = caller(&app, "no-scope", &[Scope::VouchersRead]);
    let url = |path: &str| app.url(path);

    // POST /orders
    let (post, orders) = ("post", "/orders");
    let good = order_body("alice", &[(2, 6000), (1, 1250)]);
    let created = coverage.record(post, orders, app.post_order(&good).await).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let bad = order_body(" ", &[(0, 100)]);
    coverage.record(post, orders, app.post_order(&bad).await).await;
    let send = |client: &Client, body: &Value| client.post(url(orders)).json(body).send();
    coverage
        .record(post, orders, send(&anonymous, &good).await.unwrap())
        .await;
    coverage
        .record(post, orders, send(&unscoped, &good).await.unwrap())
        .await;
    let for_bob = order_body("bob", &[(1, 100)]);
    coverage
        .record(post, orders, send(&alice, &for_bob).await.unwrap())
        .await;
    let token = app.issuer.client("slow", &all);
    let (status, body) = stalled_body(&app, "POST", orders, &token).await;
    coverage.record_text(post, orders, status, &body);
    // A claim of the key that an earlier version of the service holds for a minute.
    app.count(
        "WITH claimed AS (INSERT INTO idempotency_keys (caller, key, fingerprint, order_snapshot, created_at, locked_until) \
         VALUES ('order-tests', 'held', '{\"customer_id\":\"alice\",\"currency\":\"EUR\",\"items\":[[\"P-6000\",2],[\"P-1250\",1]]}', NULL, now(), now() + interval '1 minute') RETURNING 1) SELECT count(*) FROM claimed",
    )
    .await;
    coverage
        .record(post, orders, app.post_order_with_key("held", &good).await)
        .await;
    let unknown = order_body("alice", &[(1, 100), (1, PRICE_LIST_MAX_CENTS + 1)]);
    coverage.record(post, orders, app.post_order(&unknown).await).await;
    let huge = order_body("alice", &[(1, 100)]).to_string() + &" ".repeat(70_000);
    coverage
        .record(post, orders, app.post_order_text(huge).send().await.unwrap())
        .await;
    let plain = app
        .client
        .post(url(orders))
        .header("content-type", "text/plain")
        .body(good.to_string());
    coverage.record(post, orders, plain.send().await.unwrap()).await;
    app.post_order_with_key("used", &good).await;
    let reused = app.post_order_with_key("used", &for_bob).await;
    coverage.record(post, orders, reused).await;
    let flood = caller(&app, "flood", &all);
    let limited = until_limited(|| {
        flood
            .post(url(orders))
            .body("{")
            .header("content-type", "application/json")
    })
    .await;
    coverage.record(post, orders, limited).await;

    // GET /orders/{id}
    let (get, one) = ("get", "/orders/{id}");
    coverage.record(get, one, app.get(&format!("/orders/{id}")).await).await;
    coverage.record(get, one, app.get("/orders/nope").await).await;
    let of = |client: &Client, path: &str| client.get(url(path)).send();
    coverage
        .record(get, one, of(&anonymous, &format!("/orders/{id}")).await.unwrap())
        .await;
    coverage
        .record(get, one, of(&unscoped, &format!("/orders/{id}")).await.unwrap())
        .await;
    coverage.record(get, one, app.get(MISSING).await).await;

    // GET /orders
    let list = "/orders";
    coverage.record(get, list, app.get("/orders?limit=2").await).await;
    // A body a GET has no use for is not read: never a 413.
    let with_body = app.client.get(url(list)).body(" ".repeat(70_000));
    coverage.record(get, list, with_body.send().await.unwrap()).await;
    coverage.record(get, list, app.get("/orders?limit=0").await).await;
    coverage.record(get, list, of(&anonymous, list).await.unwrap()).await;
    coverage.record(get, list, of(&unscoped, list).await.unwrap()).await;
    coverage
        .record(get, list, of(&alice, "/orders?customer_id=bob").await.unwrap())
        .await;

    // PATCH /orders/{id}/status
    let (patch, status_of) = ("patch", "/orders/{id}/status");
    let path = format!("/orders/{id}/status");
    let change = |client: &Client, path: &str, body: Value| client.patch(url(path)).json(&body).send();
    let sent = change(&app.client, &path, json!({"status": "sent"})).await.unwrap();
    coverage.record(patch, status_of, sent).await;
    let bad_id = change(&app.client, "/orders/nope/status", json!({"status": "sent"}));
    coverage.record(patch, status_of, bad_id.await.unwrap()).await;
    let anon = change(&anonymous, &path, json!({"status": "sent"}));
    coverage.record(patch, status_of, anon.await.unwrap()).await;
    let no_scope = change(&alice, &path, json!({"status": "sent"}));
    coverage.record(patch, status_of, no_scope.await.unwrap()).await;
    let missing = change(&app.client, &format!("{MISSING}/status"), json!({"status": "sent"}));
    coverage.record(patch, status_of, missing.await.unwrap()).await;
    let (status, body) = stalled_body(&app, "PATCH", &path, &token).await;
    coverage.record_text(patch, status_of, status, &body);
    let refused = change(&app.client, &path, json!({"status": "cancelled"}));
    coverage.record(patch, status_of, refused.await.unwrap()).await;
    let huge = format!(r#"{{"status": "sent"{}}}"#, " ".repeat(70_000));
    let request = app.client.patch(url(&path)).header("content-type", "application/json");
    coverage
        .record(patch, status_of, request.body(huge).send().await.unwrap())
        .await;
    let request = app.client.patch(url(&path)).header("content-type", "text/plain");
    coverage
        .record(
            patch,
            status_of,
            request.body(r#"{"status":"sent"}"#).send().await.unwrap(),
        )
        .await;
    let limited = until_limited(|| flood.patch(url(&path)).json(&json!({"status": "sent"}))).await;
    coverage.record(patch, status_of, limited).await;

    // GET /products
    let products = "/products";
    coverage.record(get, products, app.get("/products?limit=2").await).await;
    coverage
        .record(get, products, app.get("/products?active=maybe").await)
        .await;
    coverage
        .record(get, products, of(&anonymous, products).await.unwrap())
        .await;
    coverage
        .record(get, products, of(&unscoped, products).await.unwrap())
        .await;

    // GET /products/{sku}
    let product = "/products/{sku}";
    coverage
        .record(get, product, of(&alice, "/products/P-100").await.unwrap())
        .await;
    coverage.record(get, product, app.get("/products/%20").await).await;
    coverage
        .record(get, product, of(&anonymous, "/products/P-100").await.unwrap())
        .await;
    coverage
        .record(get, product, of(&unscoped, "/products/P-100").await.unwrap())
        .await;
    coverage
        .record(get, product, app.get("/products/NO-SUCH-SKU").await)
        .await;

    // PUT /products/{sku}
    let put = "put";
    let mug = json!({"name": "Enamel mug", "unit_price_cents": 1250});
    let write = |client: &Client, path: &str, body: &Value| client.put(url(path)).json(body).send();
    coverage
        .record(put, product, app.put_product("MUG-3", &mug).await)
        .await;
    coverage
        .record(put, product, app.put_product("MUG-3", &mug).await)
        .await;
    let free = json!({"name": "Enamel mug", "unit_price_cents": 0});
    coverage
        .record(put, product, app.put_product("MUG-3", &free).await)
        .await;
    coverage
        .record(put, product, write(&anonymous, "/products/MUG-3", &mug).await.unwrap())
        .await;
    coverage
        .record(put, product, write(&alice, "/products/MUG-3", &mug).await.unwrap())
        .await;
    let (status, body) = stalled_body(&app, "PUT", "/products/MUG-3", &token).await;
    coverage.record_text(put, product, status, &body);
    let huge = format!(
        r#"{{"name": "Enamel mug", "unit_price_cents": 1250{}}}"#,
        " ".repeat(70_000)
    );
    let request = app
        .client
        .put(url("/products/MUG-3"))
        .header("content-type", "application/json");
    coverage
        .record(put, product, request.body(huge).send().await.unwrap())
        .await;
    let request = app
        .client
        .put(url("/products/MUG-3"))
        .header("content-type", "text/plain");
    coverage
        .record(put, product, request.body(mug.to_string()).send().await.unwrap())
        .await;
    let limited = until_limited(|| flood.put(url("/products/MUG-3")).json(&mug)).await;
    coverage.record(put, product, limited).await;

    // DELETE /products/{sku}
    let delete = "delete";
    let remove = |client: &Client, path: &str| client.delete(url(path)).send();
    coverage
        .record(delete, product, remove(&app.client, "/products/MUG-3").await.unwrap())
        .await;
    coverage
        .record(delete, product, remove(&app.client, "/products/%20").await.unwrap())
        .await;
    coverage
        .record(delete, product, remove(&anonymous, "/products/MUG-3").await.unwrap())
        .await;
    coverage
        .record(delete, product, remove(&alice, "/products/MUG-3").await.unwrap())
        .await;
    coverage
        .record(
            delete,
            product,
            remove(&app.client, "/products/NO-SUCH-SKU").await.unwrap(),
        )
        .await;
    let limited = until_limited(|| flood.delete(url("/products/MUG-3"))).await;
    coverage.record(delete, product, limited).await;

    // Every operation with the database gone.
    take_the_database_away(&app.db).await;
    let down = caller(&app, "while-down", &all);
    coverage
        .record(post, orders, down.post(url(orders)).json(&good).send().await.unwrap())
        .await;
    coverage
        .record(get, one, of(&down, &format!("/orders/{id}")).await.unwrap())
        .await;
    coverage.record(get, list, of(&down, list).await.unwrap()).await;
    let delivered = change(&down, &path, json!({"status": "delivered"}));
    coverage.record(patch, status_of, delivered.await.unwrap()).await;
    coverage.record(get, products, of(&down, products).await.unwrap()).await;
    coverage
        .record(get, product, of(&down, "/products/P-100").await.unwrap())
        .await;
    coverage
        .record(put, product, write(&down, "/products/MUG-3", &mug).await.unwrap())
        .await;
    coverage
        .record(delete, product, remove(&down, "/products/MUG-3").await.unwrap())
        .await;

    coverage.finish();
}

#[tokio::test]
async fn every_metric_is_described_and_the_reference_pages_are_labelled_as_themselves() {
    let app = spawn_app().await;
    for path in ["/docs", "/openapi.json", "/problems", "/problems/validation"] {
        assert_eq!(app.get(path).await.status(), 200, "{path}");
    }
    assert_eq!(app.get("/favicon.ico").await.status(), 204, "no 404 beside every page");
    let mut events = app.subscribe().await;
    let order = app.create_order("metered", &[(1, 15_000)]).await;
    app.patch_status(order["id"].as_str().unwrap(), "sent").await;
    let event = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .expect("the event is published")
        .unwrap();
    let event_id = event["event_id"].as_str().unwrap().to_owned();
    app.acknowledge(&event_id).await;
    eventually(Duration::from_secs(5), || async {
        app.delivered(&event_id).await.then_some(())
    })
    .await
    .expect("the acknowledgement is recorded");
    app.publish_ack("not an acknowledgement").await;
    let metrics = app.admin("/metrics").await.text().await.unwrap();
    for (route, status) in [
        ("/docs", 200),
        ("/openapi.json", 200),
        ("/problems", 200),
        ("/problems/{kind}", 200),
        ("/favicon.ico", 204),
    ] {
        let series = format!(r#"http_requests_total{{method="GET",route="{route}",status="{status}"}}"#);
        assert!(metrics.contains(&series), "missing {series} in\n{metrics}");
    }
    assert!(!metrics.contains(r#"route="unmatched",status="200""#), "{metrics}");
    assert!(metrics.contains("# HELP orders_created_total "), "{metrics}");
    assert_every_metric_is_described(&metrics);
}
