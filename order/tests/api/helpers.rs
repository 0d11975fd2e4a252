use std::time::Duration;

use checkout_auth::AuthSettings;
use checkout_auth::Scope;
use checkout_bus::{
    EventSettings, Transport,
    keys::{SigningSettings, VoucherVerifySettings},
};
use checkout_contract::events::{AckOutcome, EventAck};
pub use checkout_testing::assert_problem;
use checkout_testing::{Shutdown, TestIssuer, migrated_database, serve};
use futures_util::StreamExt;
use order::{
    config::{Cli, Command, Settings},
    infrastructure::migrations::Migrator,
    startup::Application,
};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{Value, json};

/// A running order service on its own database and its own Redis channel, trusting its own
/// test identity provider.
pub struct TestApp {
    pub address: String,
    /// The admin listener: `/health`, `/ready`, `/metrics`.
    pub admin_address: String,
    /// Sends every request with a service token that holds every order and catalog scope: for
    /// the tests of everything but access control.
    pub client: reqwest::Client,
    /// Sends requests as they are written, without a token.
    pub anonymous: reqwest::Client,
    pub issuer: TestIssuer,
    pub db: DatabaseConnection,
    pub database: checkout_testing::TestDatabase,
    /// The test's own view of Redis: the administrator, not the order service's user.
    pub admin_redis_url: String,
    pub channel: String,
    /// The stream the voucher service would announce vouchers on, which this app reads.
    pub voucher_stream: String,
    _shutdown: Shutdown,
}

/// The service's settings for a test: the given database, Redis, channel, token issuer and
/// event signing key, ephemeral ports, a fast relay, the defaults elsewhere.
pub fn test_settings(
    database_url: &str,
    redis_url: String,
    channel: String,
    auth: AuthSettings,
    key_pem: &str,
) -> Settings {
    let args = [
        "order",
        "serve",
        "--database-url",
        database_url,
        "--relay-poll-ms",
        "50",
        "--relay-ack-timeout-ms",
        "1000",
    ];
    let Command::Serve(settings) = checkout_runtime::config::parse_from::<Cli>("order", "", args)
        .expect("test settings parse")
        .command
    else {
        unreachable!("parsed `serve`")
    };
    let http = checkout_testing::ephemeral_http();
    Settings {
        http_port: http.http_port,
        admin_port: http.admin_port,
        http_limits: http.limits,
        redis_url,
        events: EventSettings {
            event_transport: Transport::PubSub,
            voucher_issued_stream: checkout_testing::voucher_stream_of(&channel),
            order_sent_channel: channel,
        },
        auth,
        signing: SigningSettings {
            event_signing_key: Some(key_pem.to_owned()),
        },
        voucher_keys: VoucherVerifySettings {
            voucher_event_verify_keys: Some(checkout_testing::voucher_event_keys().jwks().to_owned()),
        },
        ..*settings
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// The highest price in the test price list [`stock_price_list`] writes.
pub const PRICE_LIST_MAX_CENTS: i64 = 20_000;

/// The SKU of the test price list's product that costs `cents`.
pub fn priced(cents: i64) -> String {
    format!("P-{cents}")
}

/// Writes the test price list into the catalog: product `P-<n>` ("Priced n") costs `n` cents,
/// for every `n` from 1 to [`PRICE_LIST_MAX_CENTS`], so [`order_body`] can order anything a
/// test needs at the price it names. Bumps the catalog's version, as every write does.
pub async fn stock_price_list(db: &DatabaseConnection) {
    db.execute_unprepared(&format!(
        "INSERT INTO products (sku, name, unit_price_cents, currency, active, updated_at) \
         SELECT 'P-' || n, 'Priced ' || n, n, 'EUR', true, now() FROM generate_series(1, {PRICE_LIST_MAX_CENTS}) n; \
         UPDATE catalog_version SET version = version + 1;"
    ))
    .await
    .expect("stock the test price list");
}

/// Spawns the service with settings adjusted by `configure` (limits, timings, ...), its
/// catalog stocked with the test price list.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let (database, db) = migrated_database::<Migrator>().await;
    stock_price_list(&db).await;
    spawn_on(database, db, configure).await
}

/// Spawns the service on an empty catalog.
pub async fn spawn_app_without_products() -> TestApp {
    let (database, db) = migrated_database::<Migrator>().await;
    spawn_on(database, db, |_| {}).await
}

/// Spawns the service on `database`, migrated and stocked as the caller chose.
pub async fn spawn_on(
    database: checkout_testing::TestDatabase,
    db: DatabaseConnection,
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    checkout_runtime::telemetry::init_for_tests();
    let redis = &checkout_testing::servers().redis;
    let channel = checkout_testing::unique_name("order.sent");
    let issuer = TestIssuer::start().await;
    let app = build(&database.url, &channel, &issuer, configure).await;
    let admin_address = format!("http://127.0.0.1:{}", app.admin_port());
    let (address, shutdown) = serve(app.port(), |stop| app.run_until_stopped(stop));
    let superuser = issuer.client(
        "order-tests",
        &[
            Scope::OrdersWrite,
            Scope::OrdersRead,
            Scope::OrdersStatus,
            Scope::OrdersAdmin,
            Scope::CatalogWrite,
        ],
    );
    TestApp {
        address,
        admin_address,
        client: client_with(&superuser),
        anonymous: reqwest::Client::new(),
        issuer,
        db,
        database,
        admin_redis_url: redis.url("admin"),
        voucher_stream: checkout_testing::voucher_stream_of(&channel),
        channel,
        _shutdown: shutdown,
    }
}

/// An order service on `database_url` that publishes to `channel` and trusts `issuer`, with
/// the test settings adjusted by `configure`.
async fn build(
    database_url: &str,
    channel: &str,
    issuer: &TestIssuer,
    configure: impl FnOnce(&mut Settings),
) -> Application {
    let mut settings = test_settings(
        database_url,
        checkout_testing::servers().redis.url("order"),
        channel.to_owned(),
        issuer.settings(),
        checkout_testing::event_keys().pem(),
    );
    configure(&mut settings);
    Application::build(settings).await.expect("build the order service")
}

/// A client that sends `token` with every request.
pub fn client_with(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    let mut value = reqwest::header::HeaderValue::try_from(format!("Bearer {token}")).expect("a token is ASCII");
    value.set_sensitive(true);
    headers.insert(reqwest::header::AUTHORIZATION, value);
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("an HTTP client")
}

/// A create request for `customer_id` with one line per `(quantity, unit price in cents)`:
/// each line orders the test price list's product of that price.
pub fn order_body(customer_id: &str, items: &[(i64, i64)]) -> Value {
    json!({
        "customer_id": customer_id,
        "items": items
            .iter()
            .map(|(quantity, cents)| json!({ "sku": priced(*cents), "quantity": quantity }))
            .collect::<Vec<_>>(),
    })
}

/// A second order service on a test app's database, Redis and identity provider: another
/// replica behind the same load balancer.
pub struct Replica {
    pub address: String,
    /// As [`TestApp::client`].
    pub client: reqwest::Client,
    _shutdown: Shutdown,
}

impl Replica {
    pub async fn post_order(&self, body: &Value) -> reqwest::Response {
        self.client
            .post(format!("{}/orders", self.address))
            .json(body)
            .send()
            .await
            .expect("POST /orders to the replica")
    }
}

impl TestApp {
    /// Starts another replica of this service, with settings adjusted by `configure`.
    pub async fn spawn_replica(&self, configure: impl FnOnce(&mut Settings)) -> Replica {
        let app = build(&self.database.url, &self.channel, &self.issuer, configure).await;
        let (address, shutdown) = serve(app.port(), |stop| app.run_until_stopped(stop));
        Replica {
            address,
            client: self.client.clone(),
            _shutdown: shutdown,
        }
    }

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

    pub async fn post_order_with_key(&self, key: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url("/orders"))
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await
            .expect("POST /orders with an Idempotency-Key")
    }

    /// A POST /orders with `text` as its JSON body, exactly as written (repeated keys and all).
    pub fn post_order_text(&self, text: impl Into<String>) -> reqwest::RequestBuilder {
        self.client
            .post(self.url("/orders"))
            .header("content-type", "application/json")
            .body(text.into())
    }

    /// Creates an order and returns its JSON.
    pub async fn create_order(&self, customer_id: &str, items: &[(i64, i64)]) -> Value {
        let response = self.post_order(&order_body(customer_id, items)).await;
        assert_eq!(response.status(), 201);
        response.json().await.unwrap()
    }

    /// `PUT /products/{sku}` as the catalog writer.
    pub async fn put_product(&self, sku: &str, body: &Value) -> reqwest::Response {
        self.client
            .put(self.url(&format!("/products/{sku}")))
            .json(body)
            .send()
            .await
            .expect("PUT /products/{sku}")
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

    /// GET `path` of the admin listener, without a token.
    pub async fn admin(&self, path: &str) -> reqwest::Response {
        self.anonymous
            .get(format!("{}{path}", self.admin_address))
            .send()
            .await
            .expect("GET on the admin listener")
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

    /// The rows `sql` returns, each as a JSON object of its columns.
    pub async fn query(&self, sql: &str) -> Vec<Value> {
        let wrapped = format!("SELECT to_jsonb(t) AS row FROM ({sql}) t");
        self.db
            .query_all_raw(Statement::from_string(self.db.get_database_backend(), wrapped))
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get::<Value>("", "row").unwrap())
            .collect()
    }

    /// Appends `message` as given to the voucher stream this app reads, as an administrator.
    pub async fn announce_raw(&self, message: &str) -> String {
        let client = redis::Client::open(self.admin_redis_url.as_str()).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        redis::cmd("XADD")
            .arg(&self.voucher_stream)
            .arg("*")
            .arg("payload")
            .arg(message)
            .query_async(&mut conn)
            .await
            .unwrap()
    }

    /// Announces a voucher as the voucher service does: `event` sealed with its key.
    pub async fn announce(&self, event: &Value) -> String {
        self.announce_raw(&checkout_testing::voucher_event_keys().seal(&event.to_string()))
            .await
    }

    /// The entries of the voucher stream's dead-letter stream, as (payload, reason).
    pub async fn voucher_dead_letters(&self) -> Vec<(String, String)> {
        let client = redis::Client::open(self.admin_redis_url.as_str()).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        let reply: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
            .arg(checkout_bus::dead_letter_key(&self.voucher_stream))
            .arg("-")
            .arg("+")
            .query_async(&mut conn)
            .await
            .unwrap();
        reply
            .ids
            .iter()
            .map(|e| (e.get("payload").unwrap(), e.get("reason").unwrap()))
            .collect()
    }

    pub async fn outbox_rows(&self) -> i64 {
        self.count("SELECT count(*) FROM outbox").await
    }

    pub async fn order_rows(&self) -> i64 {
        self.count("SELECT count(*) FROM orders").await
    }

    /// Acknowledges an event as the voucher service does (pub/sub), as the voucher user.
    pub async fn acknowledge(&self, event_id: &str) {
        let ack = EventAck {
            event_id: event_id.parse().unwrap(),
            outcome: AckOutcome::Issued,
        };
        self.publish_ack(&ack.to_json()).await;
    }

    /// Publishes `message` on this app's acknowledgement channel, as the voucher user.
    pub async fn publish_ack(&self, message: &str) {
        let url = checkout_testing::servers().redis.url("voucher");
        let mut conn = redis::Client::open(url)
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap();
        let _: i64 = redis::cmd("PUBLISH")
            .arg(checkout_contract::events::ack_channel(&self.channel))
            .arg(message)
            .query_async(&mut conn)
            .await
            .unwrap();
    }

    /// Whether the outbox row of `event_id` is marked delivered.
    pub async fn delivered(&self, event_id: &str) -> bool {
        self.count(&format!(
            "SELECT count(*) FROM outbox WHERE id = '{event_id}' AND published_at IS NOT NULL"
        ))
        .await
            == 1
    }

    /// Subscribes to this app's channel; messages arrive on the returned receiver.
    pub async fn subscribe(&self) -> tokio::sync::mpsc::UnboundedReceiver<Value> {
        let client = redis::Client::open(self.admin_redis_url.as_str()).unwrap();
        let mut pubsub = client.get_async_pubsub().await.unwrap();
        pubsub.subscribe(&self.channel).await.unwrap();
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut messages = pubsub.into_on_message();
            while let Some(msg) = messages.next().await {
                let sealed: String = msg.get_payload().unwrap();
                let payload = checkout_testing::event_keys()
                    .verifier()
                    .open(sealed.as_bytes())
                    .expect("the order service seals every event with its key");
                if tx.send(serde_json::from_str(&payload).unwrap()).is_err() {
                    break;
                }
            }
        });
        rx
    }
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

/// A `voucher.issued` event as the voucher service publishes it, for `customer_id`, worth
/// `amount_cents`, with the digest of `code` and valid for `valid_for`.
pub fn voucher_issued(code: &str, customer_id: &str, amount_cents: i64, valid_for: chrono::Duration) -> Value {
    let issued_at = chrono::Utc::now();
    json!({
        "event_id": uuid::Uuid::now_v7(),
        "event_type": "voucher.issued",
        "schema_version": 1,
        "occurred_at": issued_at,
        "voucher_id": uuid::Uuid::now_v7(),
        "code_digest": checkout_domain::VoucherCode::parse(code).expect("a voucher code").digest(),
        "customer_id": customer_id,
        "amount_cents": amount_cents,
        "currency": "EUR",
        "expires_at": issued_at + valid_for,
        "order_id": uuid::Uuid::now_v7(),
    })
}
