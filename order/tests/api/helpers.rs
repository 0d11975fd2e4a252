use std::time::Duration;

use futures_util::StreamExt;
use order::{config::Settings, infrastructure::migrations::Migrator, startup::Application};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use sea_orm_migration::MigratorTrait;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// A running order service on its own database and its own Redis channel.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
    pub redis_url: String,
    pub channel: String,
    shutdown: CancellationToken,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub async fn spawn_app() -> TestApp {
    shared::telemetry::init_for_tests();
    let servers = shared::testing::servers();
    let database_url = shared::testing::fresh_database().await;
    let channel = shared::testing::unique_name("order.sent");
    let settings = Settings::for_tests(database_url.clone(), servers.redis_url.clone(), channel.clone());
    let db = shared::db::connect(&database_url, 4)
        .await
        .expect("connect to the test database");
    Migrator::up(&db, None).await.expect("migrate the test database");
    let app = Application::build(settings).await.expect("build the order service");
    let address = format!("http://127.0.0.1:{}", app.port());
    let shutdown = CancellationToken::new();
    tokio::spawn(app.run_until_stopped(shutdown.clone()));
    TestApp {
        address,
        client: reqwest::Client::new(),
        db,
        redis_url: servers.redis_url.clone(),
        channel,
        shutdown,
    }
}

pub fn order_body(customer_id: &str, items: &[(i64, i64)]) -> Value {
    json!({
        "customer_id": customer_id,
        "items": items
            .iter()
            .enumerate()
            .map(|(i, (quantity, unit_price_cents))| json!({
                "sku": format!("SKU-{i}"),
                "quantity": quantity,
                "unit_price_cents": unit_price_cents,
            }))
            .collect::<Vec<_>>(),
    })
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn post_order(&self, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url("/orders"))
            .json(body)
            .send()
            .await
            .expect("POST /orders")
    }

    /// Creates an order and returns its JSON.
    pub async fn create_order(&self, customer_id: &str, items: &[(i64, i64)]) -> Value {
        let response = self.post_order(&order_body(customer_id, items)).await;
        assert_eq!(response.status(), 201);
        response.json().await.unwrap()
    }

    pub async fn patch_status(&self, id: &str, status: &str) -> reqwest::Response {
        self.client
            .patch(self.url(&format!("/orders/{id}/status")))
            .json(&json!({ "status": status }))
            .send()
            .await
            .expect("PATCH /orders/{id}/status")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn count(&self, sql: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(Statement::from_string(self.db.get_database_backend(), sql.to_owned()))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index::<i64>(0).unwrap()
    }

    pub async fn outbox_rows(&self) -> i64 {
        self.count("SELECT count(*) FROM outbox").await
    }

    pub async fn order_rows(&self) -> i64 {
        self.count("SELECT count(*) FROM orders").await
    }

    /// Subscribes to this app's channel; messages arrive on the returned receiver.
    pub async fn subscribe(&self) -> tokio::sync::mpsc::UnboundedReceiver<Value> {
        let client = redis::Client::open(self.redis_url.as_str()).unwrap();
        let mut pubsub = client.get_async_pubsub().await.unwrap();
        pubsub.subscribe(&self.channel).await.unwrap();
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut messages = pubsub.into_on_message();
            while let Some(msg) = messages.next().await {
                let payload: String = msg.get_payload().unwrap();
                if tx.send(serde_json::from_str(&payload).unwrap()).is_err() {
                    break;
                }
            }
        });
        rx
    }
}

/// Asserts an RFC 9457 problem response with this status.
pub async fn assert_problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        content_type.starts_with("application/problem+json"),
        "content-type {content_type}"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status, "{body}");
    assert!(
        body["type"].as_str().is_some_and(|t| t.starts_with("/problems/")),
        "{body}"
    );
    assert!(body["title"].as_str().is_some_and(|t| !t.is_empty()), "{body}");
    assert!(body["detail"].as_str().is_some_and(|t| !t.is_empty()), "{body}");
    body
}

/// Polls `check` until it returns `Some` or `timeout` passes.
pub async fn eventually<T, F, Fut>(timeout: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return Some(value);
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
