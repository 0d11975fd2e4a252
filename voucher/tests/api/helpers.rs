use std::time::Duration;

use checkout_auth::AuthSettings;
use checkout_auth::Scope;
use checkout_bus::{
    EventSettings, Transport,
    keys::{VerifySettings, VoucherSigningSettings},
};
pub use checkout_testing::assert_problem;
use checkout_testing::{Shutdown, TestIssuer, migrated_database, serve};
use chrono::Utc;
use redis::AsyncCommands;
use reqwest::{Method, RequestBuilder};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{Value, json};
use uuid::Uuid;
use voucher::{
    config::{Cli, Command, Settings},
    infrastructure::migrations::Migrator,
    startup::Application,
};

/// A running voucher service on its own database, subscribed to its own channel, trusting
/// its own identity provider.
pub struct VoucherApp {
    pub address: String,
    /// The admin listener: `/health`, `/ready`, `/metrics`.
    pub admin_address: String,
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
    /// Redis as the administrator (the test publishes and inspects; the service has its own user).
    pub redis: redis::aio::MultiplexedConnection,
    pub channel: String,
    /// The stream this app announces its vouchers on (`voucher.issued`).
    pub voucher_stream: String,
    pub streams: bool,
    pub issuer: TestIssuer,
    _shutdown: Shutdown,
}

pub async fn spawn_voucher_app() -> VoucherApp {
    spawn_voucher_app_on(checkout_testing::unique_name("order.sent")).await
}

pub async fn spawn_voucher_app_on(channel: String) -> VoucherApp {
    spawn_voucher_app_with(channel, |_| {}).await
}

/// The service's settings for a test: the given database, Redis, channel, token issuer and
/// trusted event keys (a JWKS), ephemeral ports, the defaults elsewhere.
pub fn test_settings(
    database_url: &str,
    redis_url: String,
    channel: String,
    auth: AuthSettings,
    jwks: &str,
) -> Settings {
    let args = [
        "voucher",
        "serve",
        "--database-url",
        database_url,
        "--consumer-concurrency",
        "8",
        "--consumer-name",
        "voucher-test",
    ];
    let Command::Serve(settings) = checkout_runtime::config::parse_from::<Cli>("voucher", "", args)
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
        verify: VerifySettings {
            event_verify_keys: Some(jwks.to_owned()),
        },
        signing: VoucherSigningSettings {
            voucher_event_signing_key: Some(checkout_testing::voucher_event_keys().pem().to_owned()),
        },
        ..*settings
    }
}

/// Spawns the service with settings adjusted by `configure` (transport, timings, ...).
pub async fn spawn_voucher_app_with(channel: String, configure: impl FnOnce(&mut Settings)) -> VoucherApp {
    checkout_runtime::telemetry::init_for_tests();
    let (database, db) = migrated_database::<Migrator>().await;
    let redis = &checkout_testing::servers().redis;
    let issuer = TestIssuer::start().await;
    let mut settings = test_settings(
        &database.url,
        redis.url("voucher"),
        channel.clone(),
        issuer.settings(),
        checkout_testing::event_keys().jwks(),
    );
    configure(&mut settings);
    let streams = settings.events.event_transport == checkout_bus::Transport::Streams;
    let voucher_stream = settings.events.voucher_issued_stream.clone();
    let app = Application::build(settings).await.expect("build the voucher service");
    let admin_address = format!("http://127.0.0.1:{}", app.admin_port());
    let (address, shutdown) = serve(app.port(), |stop| app.run_until_stopped(stop));
    wait_until_ready(&admin_address).await;
    let redis = redis.admin().await;
    VoucherApp {
        address,
        admin_address,
        client: reqwest::Client::new(),
        db,
        redis,
        channel,
        voucher_stream,
        streams,
        issuer,
        _shutdown: shutdown,
    }
}

/// `payload` sealed with the test process's event key, which the services under test trust.
pub fn sealed(payload: &str) -> String {
    checkout_testing::event_keys().seal(payload)
}

/// An `order.sent` event as the order service would publish it.
pub fn order_sent(customer_id: &str, total_cents: i64) -> Value {
    json!({
        "event_id": Uuid::now_v7(),
        "event_type": "order.sent",
        "schema_version": 1,
        "occurred_at": Utc::now(),
        "order_id": Uuid::now_v7(),
        "customer_id": customer_id,
        "total_cents": total_cents,
        "currency": "EUR",
    })
}

/// An `order.placed` event: `order_id` of `customer_id` took voucher `voucher_id`.
pub fn order_placed(customer_id: &str, order_id: &str, voucher_id: &str) -> Value {
    json!({
        "event_id": Uuid::now_v7(),
        "event_type": "order.placed",
        "schema_version": 1,
        "occurred_at": Utc::now(),
        "order_id": order_id,
        "customer_id": customer_id,
        "voucher_id": voucher_id,
        "subtotal_cents": 12_000,
        "discount_cents": 500,
        "total_cents": 11_500,
        "currency": "EUR",
    })
}

/// An `order.cancelled` event of an order that held voucher `voucher_id`.
pub fn order_cancelled(customer_id: &str, order_id: &str, voucher_id: &str) -> Value {
    json!({
        "event_id": Uuid::now_v7(),
        "event_type": "order.cancelled",
        "schema_version": 1,
        "occurred_at": Utc::now(),
        "order_id": order_id,
        "customer_id": customer_id,
        "voucher_id": voucher_id,
    })
}

/// An `order.sent` event of an order that spent voucher `voucher_id` on a subtotal of
/// `subtotal_cents`, paying 5.00 EUR less.
pub fn order_sent_with_voucher(customer_id: &str, order_id: &str, voucher_id: &str, subtotal_cents: i64) -> Value {
    let mut event = order_sent(customer_id, subtotal_cents - 500);
    event["order_id"] = order_id.into();
    event["voucher_id"] = voucher_id.into();
    event["subtotal_cents"] = subtotal_cents.into();
    event["discount_cents"] = 500.into();
    event
}

impl VoucherApp {
    /// Sends `event` sealed by the order service's key, on this app's transport.
    pub async fn send(&self, event: &Value) {
        if self.streams {
            self.xadd(&event.to_string()).await;
        } else {
            assert!(
                self.publish(&event.to_string()).await >= 1,
                "the voucher service is subscribed"
            );
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A request to `path` with `token` as its bearer token.
    pub fn request(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.client.request(method, self.url(path)).bearer_auth(token)
    }

    /// A token of support staff: reads any voucher.
    pub fn admin_token(&self) -> String {
        self.issuer.customer("support-1", &[Scope::VouchersAdmin])
    }

    /// A token of `customer` that reads its own vouchers.
    pub fn customer_token(&self, customer: &str) -> String {
        self.issuer.customer(customer, &[Scope::VouchersRead])
    }

    /// A GET of `path` by support staff, who may read every voucher.
    pub fn admin_get(&self, path: &str) -> RequestBuilder {
        self.request(Method::GET, path, &self.admin_token())
    }

    /// GET `path` as support staff.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.admin_get(path).send().await.expect("GET")
    }

    /// GET `path` of the admin listener, without a token.
    pub async fn admin(&self, path: &str) -> reqwest::Response {
        reqwest::get(format!("{}{path}", self.admin_address))
            .await
            .expect("GET on the admin listener")
    }

    /// The status of the voucher with `code`, as the service answers it to support staff.
    pub async fn stored_status(&self, code: &str) -> Option<String> {
        let response = self.get(&format!("/vouchers/{code}")).await;
        if response.status() == 404 {
            return None;
        }
        let voucher: Value = response.json().await.expect("a voucher");
        voucher["status"].as_str().map(str::to_owned)
    }

    /// Publishes `payload` sealed as the order service would (with the test process's event
    /// key); returns how many subscribers got it.
    pub async fn publish(&self, payload: &str) -> i64 {
        self.publish_raw(&sealed(payload)).await
    }

    /// Publishes `message` exactly as given (unsigned, forged, ...).
    pub async fn publish_raw(&self, message: &str) -> i64 {
        self.redis.clone().publish(&self.channel, message).await.unwrap()
    }

    /// Listens, as the order service does, to this app's acknowledgement channel; each
    /// acknowledgement arrives on the receiver as JSON.
    pub async fn acknowledgements(&self) -> tokio::sync::mpsc::UnboundedReceiver<Value> {
        let client = redis::Client::open(checkout_testing::servers().redis.url("order")).unwrap();
        let mut pubsub = client.get_async_pubsub().await.unwrap();
        pubsub
            .subscribe(checkout_contract::events::ack_channel(&self.channel))
            .await
            .unwrap();
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut messages = pubsub.into_on_message();
            while let Some(msg) = futures_util::StreamExt::next(&mut messages).await {
                let payload: String = msg.get_payload().unwrap();
                if tx.send(serde_json::from_str(&payload).unwrap()).is_err() {
                    break;
                }
            }
        });
        rx
    }

    pub async fn vouchers_for_order(&self, order_id: &str) -> Vec<Value> {
        let body: Value = self
            .get(&format!("/vouchers?order_id={order_id}"))
            .await
            .json()
            .await
            .unwrap();
        body["items"].as_array().unwrap().clone()
    }

    /// Waits until the order has at least one voucher, then returns them all.
    pub async fn wait_for_vouchers(&self, order_id: &str, timeout: Duration) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let vouchers = self.vouchers_for_order(order_id).await;
            if !vouchers.is_empty() || tokio::time::Instant::now() >= deadline {
                return vouchers;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Appends `payload`, sealed as the order service would, to this app's stream.
    pub async fn xadd(&self, payload: &str) -> String {
        self.xadd_raw(&sealed(payload)).await
    }

    /// Appends `message` exactly as given to this app's stream.
    pub async fn xadd_raw(&self, message: &str) -> String {
        self.redis
            .clone()
            .xadd(&self.channel, "*", &[("payload", message)])
            .await
            .unwrap()
    }

    /// The payloads of the `voucher.issued` stream, as sealed by the service.
    pub async fn announcements(&self) -> Vec<String> {
        let reply: redis::streams::StreamRangeReply =
            self.redis.clone().xrange_all(&self.voucher_stream).await.unwrap();
        reply
            .ids
            .iter()
            .map(|entry| entry.get::<String>("payload").expect("an entry has a payload"))
            .collect()
    }

    /// Entries of the dead-letter stream, as (payload, reason).
    pub async fn dead_letters(&self) -> Vec<(String, String)> {
        let reply: redis::streams::StreamRangeReply = self
            .redis
            .clone()
            .xrange_all(checkout_bus::dead_letter_key(&self.channel))
            .await
            .unwrap();
        reply
            .ids
            .iter()
            .map(|e| (e.get::<String>("payload").unwrap(), e.get::<String>("reason").unwrap()))
            .collect()
    }

    /// Entries of the group `voucher` not yet acknowledged.
    pub async fn pending(&self) -> usize {
        let reply: redis::streams::StreamPendingReply =
            self.redis.clone().xpending(&self.channel, "voucher").await.unwrap();
        reply.count()
    }

    /// Publishes an eligible event and returns the voucher it produced.
    pub async fn issue(&self, customer_id: &str) -> Value {
        let event = order_sent(customer_id, 12_000);
        self.send(&event).await;
        let vouchers = self
            .wait_for_vouchers(event["order_id"].as_str().unwrap(), Duration::from_secs(5))
            .await;
        assert_eq!(vouchers.len(), 1);
        vouchers[0].clone()
    }

    /// Publishes an eligible marker event and waits for its voucher: since every event before
    /// it was handed to the consumer first, this bounds how long to wait for their effects.
    pub async fn drain(&self) {
        self.issue("marker").await;
        // Events are processed concurrently; give any earlier one that is still running
        // time to finish its single insert.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    pub async fn voucher_rows(&self) -> i64 {
        let row = self
            .db
            .query_one_raw(Statement::from_string(
                self.db.get_database_backend(),
                "SELECT count(*) FROM vouchers WHERE customer_id <> 'marker'".to_owned(),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index::<i64>(0).unwrap()
    }
}

/// Waits until `/ready` of the admin listener at `address` says 200: the service is
/// subscribed and events can flow.
pub async fn wait_until_ready(address: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while tokio::time::Instant::now() < deadline {
        if let Ok(response) = reqwest::get(format!("{address}/ready")).await
            && response.status() == 200
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{address}/ready did not answer 200 within 10 s");
}
