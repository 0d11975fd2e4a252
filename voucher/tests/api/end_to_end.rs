//! Both services together: orders go in over HTTP, vouchers come out over HTTP.

use std::time::Duration;

use futures_util::StreamExt;

use checkout_auth::AuthSettings;
use checkout_auth::Scope;
use checkout_bus::Transport;
use checkout_bus::{
    EventSettings,
    keys::{SigningSettings, VoucherVerifySettings},
};
use checkout_testing::{Shutdown, TestIssuer, migrated_database, serve};
use order::{
    config::{Cli, Command, Settings},
    infrastructure::migrations::Migrator,
    startup::Application,
};
use serde_json::{Value, json};

use crate::helpers::{spawn_voucher_app_on, spawn_voucher_app_with};

struct OrderApp<'a> {
    address: String,
    client: reqwest::Client,
    /// The identity provider both services trust.
    issuer: &'a TestIssuer,
    /// The order database, as its owner.
    db: sea_orm::DatabaseConnection,
    _shutdown: Shutdown,
}

/// The order service, publishing on `channel` and trusting `issuer`.
async fn spawn_order_app<'a>(channel: &str, issuer: &'a TestIssuer) -> OrderApp<'a> {
    spawn_order_app_with(channel, issuer, |_| {}).await
}

/// The order service's settings: the given database, Redis, channel and token issuer, the
/// test event key, ephemeral ports, a fast relay, the defaults elsewhere.
fn order_settings(database_url: &str, redis_url: String, channel: String, auth: AuthSettings) -> Settings {
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
        .expect("order settings parse")
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
            event_signing_key: Some(checkout_testing::event_keys().pem().to_owned()),
        },
        voucher_keys: VoucherVerifySettings {
            voucher_event_verify_keys: Some(checkout_testing::voucher_event_keys().jwks().to_owned()),
        },
        ..*settings
    }
}

/// The order service with settings adjusted by `configure` (transport, Redis URL, ...).
async fn spawn_order_app_with<'a>(
    channel: &str,
    issuer: &'a TestIssuer,
    configure: impl FnOnce(&mut Settings),
) -> OrderApp<'a> {
    let (database, db) = migrated_database::<Migrator>().await;
    let mut settings = order_settings(
        &database.url,
        checkout_testing::servers().redis.url("order"),
        channel.to_owned(),
        issuer.settings(),
    );
    configure(&mut settings);
    let app = Application::build(settings).await.expect("build the order service");
    let (address, shutdown) = serve(app.port(), |stop| app.run_until_stopped(stop));
    OrderApp {
        address,
        client: reqwest::Client::new(),
        issuer,
        db,
        _shutdown: shutdown,
    }
}

impl OrderApp<'_> {
    /// Waits until the order service knows the voucher `id` (from `voucher.issued`); false
    /// after `timeout`.
    async fn knows_voucher(&self, id: &str, timeout: Duration) -> bool {
        use sea_orm::ConnectionTrait;
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let row = self
                .db
                .query_one_raw(sea_orm::Statement::from_string(
                    self.db.get_database_backend(),
                    format!("SELECT count(*) FROM vouchers WHERE id = '{id}' AND held_by IS NULL"),
                ))
                .await
                .unwrap()
                .unwrap();
            if row.try_get_by_index::<i64>(0).unwrap() == 1 {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits until every event in the outbox is marked delivered; false after `timeout`.
    async fn all_delivered(&self, timeout: Duration) -> bool {
        use sea_orm::ConnectionTrait;
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let row = self
                .db
                .query_one_raw(sea_orm::Statement::from_string(
                    self.db.get_database_backend(),
                    "SELECT count(*) FILTER (WHERE published_at IS NULL), count(*) FROM outbox",
                ))
                .await
                .unwrap()
                .unwrap();
            let (waiting, all): (i64, i64) = (row.try_get_by_index(0).unwrap(), row.try_get_by_index(1).unwrap());
            if all > 0 && waiting == 0 {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Puts a product worth `total_cents` in the catalog, creates an order of one as the customer, and marks it sent
    /// as the fulfilment service; returns its id.
    async fn send_order(&self, customer_id: &str, total_cents: i64) -> String {
        let sku = format!("BOOK-{total_cents}");
        let stocked = self
            .client
            .put(format!("{}/products/{sku}", self.address))
            .bearer_auth(self.issuer.client("merchandising", &[Scope::CatalogWrite]))
            .json(&json!({"name": "Book", "unit_price_cents": total_cents}))
            .send()
            .await
            .unwrap();
        assert!(stocked.status().is_success(), "stock {sku}: {}", stocked.status());
        let created: Value = self
            .client
            .post(format!("{}/orders", self.address))
            .bearer_auth(self.issuer.customer(customer_id, &[Scope::OrdersWrite]))
            .json(&json!({
                "customer_id": customer_id,
                "items": [{"sku": sku, "quantity": 1}],
                "currency": "EUR",
            }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = created["id"].as_str().unwrap().to_owned();
        let sent = self
            .client
            .patch(format!("{}/orders/{id}/status", self.address))
            .bearer_auth(self.issuer.client("fulfilment", &[Scope::OrdersStatus]))
            .json(&json!({"status": "sent"}))
            .send()
            .await
            .unwrap();
        assert_eq!(sent.status(), 200);
        id
    }
}

#[tokio::test]
async fn an_order_of_120_eur_sent_yields_one_voucher_within_2_s_and_one_of_100_eur_none() {
    let channel = checkout_testing::unique_name("order.sent");
    let vouchers = spawn_voucher_app_on(channel.clone()).await;
    let orders = spawn_order_app(&channel, &vouchers.issuer).await;

    let big = orders.send_order("e2e-customer", 12_000).await;
    let issued = vouchers.wait_for_vouchers(&big, Duration::from_secs(2)).await;
    assert_eq!(issued.len(), 1, "a voucher within 2 s");
    assert_eq!(issued[0]["amount_cents"], 500);
    assert_eq!(issued[0]["customer_id"], "e2e-customer");
    assert!(
        orders
            .knows_voucher(issued[0]["id"].as_str().unwrap(), Duration::from_secs(2))
            .await,
        "the order service learns of the voucher (voucher.issued) within 2 s"
    );
    let listed: Value = vouchers
        .get("/vouchers?customer_id=e2e-customer")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let own: Value = vouchers
        .request(
            reqwest::Method::GET,
            "/vouchers",
            &vouchers.customer_token("e2e-customer"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(own, listed, "the customer sees its voucher with its own token");

    let exact = orders.send_order("e2e-customer", 10_000).await;
    vouchers.drain().await;
    assert!(vouchers.vouchers_for_order(&exact).await.is_empty());
    assert_eq!(vouchers.voucher_rows().await, 1);
}

impl OrderApp<'_> {
    /// `POST /orders` of one `sku` as `customer_id`, spending `code`.
    async fn checkout(&self, customer_id: &str, sku: &str, code: &str) -> reqwest::Response {
        self.client
            .post(format!("{}/orders", self.address))
            .bearer_auth(self.issuer.customer(customer_id, &[Scope::OrdersWrite]))
            .json(&json!({"customer_id": customer_id, "items": [{"sku": sku, "quantity": 1}], "voucher_code": code}))
            .send()
            .await
            .unwrap()
    }

    async fn move_to(&self, id: &str, status: &str) {
        let moved = self
            .client
            .patch(format!("{}/orders/{id}/status", self.address))
            .bearer_auth(self.issuer.client("fulfilment", &[Scope::OrdersStatus]))
            .json(&json!({"status": status}))
            .send()
            .await
            .unwrap();
        assert_eq!(moved.status(), 200, "{id} -> {status}");
    }
}

/// The reconciliation of both apps' databases, once it settles (or as it stands after 5 s).
async fn reconciled(
    vouchers: &crate::helpers::VoucherApp,
    orders: &OrderApp<'_>,
) -> voucher::application::usecases::Report {
    use std::sync::Arc;
    use voucher::{
        application::usecases::Reconcile,
        infrastructure::repositories::{SeaOrmVoucherRepository, SqlOrderCopy},
    };
    let reconcile = Reconcile::new(
        Arc::new(SeaOrmVoucherRepository::new(vouchers.db.clone(), 1)),
        Arc::new(SqlOrderCopy::new(orders.db.clone())),
        2,
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let report = reconcile.execute().await.unwrap();
        if report.differences.is_empty() || tokio::time::Instant::now() >= deadline {
            return report;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_voucher_earned_spent_given_back_and_spent_again_leaves_both_services_agreeing() {
    let channel = checkout_testing::unique_name("order.sent");
    let vouchers = spawn_voucher_app_on(channel.clone()).await;
    let orders = spawn_order_app(&channel, &vouchers.issuer).await;
    let first = orders.send_order("spender", 12_000).await;
    let issued = vouchers.wait_for_vouchers(&first, Duration::from_secs(2)).await;
    let (id, code) = (issued[0]["id"].as_str().unwrap(), issued[0]["code"].as_str().unwrap());
    assert!(orders.knows_voucher(id, Duration::from_secs(2)).await);

    let held = orders.checkout("spender", "BOOK-12000", code).await;
    assert_eq!(held.status(), 201);
    let held: Value = held.json().await.unwrap();
    assert_eq!(
        (&held["discount_cents"], &held["total_cents"]),
        (&json!(500), &json!(11_500))
    );
    orders.move_to(held["id"].as_str().unwrap(), "cancelled").await;
    let last = orders.checkout("spender", "BOOK-12000", code).await;
    assert_eq!(last.status(), 201, "given back, usable again");
    let last: Value = last.json().await.unwrap();
    let last_id = last["id"].as_str().unwrap();
    orders.move_to(last_id, "sent").await;

    // 115.00 EUR paid earns a second voucher; the first is spent by the last order.
    let earned = vouchers.wait_for_vouchers(last_id, Duration::from_secs(5)).await;
    assert_eq!(earned.len(), 1, "dead letters: {:?}", vouchers.dead_letters().await);
    let report = reconciled(&vouchers, &orders).await;
    assert_eq!(
        (report.compared, report.differences.len()),
        (2, 0),
        "{:?}",
        report.differences
    );
    let told: Value = vouchers.get(&format!("/vouchers/{code}")).await.json().await.unwrap();
    assert_eq!(
        (&told["status"], &told["used_by_order_id"]),
        (&json!("redeemed"), &json!(last_id))
    );

    // A copy that lost the redemption is named.
    use sea_orm::ConnectionTrait;
    orders
        .db
        .execute_unprepared(&format!(
            "UPDATE vouchers SET held_by = NULL, redeemed = false WHERE id = '{id}'"
        ))
        .await
        .unwrap();
    let report = reconciled(&vouchers, &orders).await;
    assert_eq!(report.differences.len(), 1, "{:?}", report.differences);
    let said = report.differences[0].to_string();
    assert!(
        said.contains(&format!(
            "redeemed by order {last_id} here, free in the order service's copy"
        )),
        "{said}"
    );
}

#[tokio::test]
async fn the_same_event_injected_twice_yields_one_voucher() {
    let channel = checkout_testing::unique_name("order.sent");
    let vouchers = spawn_voucher_app_on(channel.clone()).await;
    let orders = spawn_order_app(&channel, &vouchers.issuer).await;
    // Listen on the bus too, to capture the exact event the order service publishes.
    let redis = redis::Client::open(checkout_testing::servers().redis.url("admin")).unwrap();
    let mut pubsub = redis.get_async_pubsub().await.unwrap();
    pubsub.subscribe(&channel).await.unwrap();

    let id = orders.send_order("twice", 15_000).await;
    let issued = vouchers.wait_for_vouchers(&id, Duration::from_secs(2)).await;
    assert_eq!(issued.len(), 1);

    let message = tokio::time::timeout(Duration::from_secs(2), pubsub.on_message().next())
        .await
        .unwrap()
        .unwrap();
    let sealed: String = message.get_payload().unwrap();
    let event = checkout_testing::event_keys()
        .verifier()
        .open(sealed.as_bytes())
        .expect("the order service seals its events");
    let parsed: Value = serde_json::from_str(&event).unwrap();
    assert_eq!(parsed["order_id"], id.as_str());
    vouchers.publish_raw(&sealed).await;
    vouchers.publish_raw(&sealed).await;
    vouchers.drain().await;
    assert_eq!(vouchers.vouchers_for_order(&id).await.len(), 1);
}

/// Both services over TLS (`rediss://localhost`, verified against the harness's CA), each as
/// its own Redis user: an eligible order yields its voucher.
async fn an_order_travels_over_tls_as_the_services_own_users(transport: Transport) {
    let redis = &checkout_testing::servers().redis;
    let tls = |user: &str| (redis.tls_url(user, "localhost"), Some(redis.ca_file()));
    let channel = checkout_testing::unique_name("order.sent");
    let vouchers = spawn_voucher_app_with(channel.clone(), |s| {
        s.events.event_transport = transport;
        (s.redis_url, s.redis_ca_file) = tls("voucher");
    })
    .await;
    let orders = spawn_order_app_with(&channel, &vouchers.issuer, |s| {
        s.events.event_transport = transport;
        (s.redis_url, s.redis_ca_file) = tls("order");
    })
    .await;

    let id = orders.send_order("tls-customer", 12_000).await;
    let issued = vouchers.wait_for_vouchers(&id, Duration::from_secs(5)).await;
    assert_eq!(issued.len(), 1, "{transport:?}: a voucher over TLS");
    assert!(
        orders.all_delivered(Duration::from_secs(5)).await,
        "{transport:?}: the event is marked delivered (pub/sub: acknowledged by the voucher service)"
    );
}

#[tokio::test]
async fn an_order_travels_over_tls_with_pubsub() {
    an_order_travels_over_tls_as_the_services_own_users(Transport::PubSub).await;
}

#[tokio::test]
async fn an_order_travels_over_tls_with_streams() {
    an_order_travels_over_tls_as_the_services_own_users(Transport::Streams).await;
}

#[tokio::test]
async fn both_services_work_as_their_own_users_with_streams() {
    let channel = checkout_testing::unique_name("order.sent");
    let vouchers = spawn_voucher_app_with(channel.clone(), |s| s.events.event_transport = Transport::Streams).await;
    let orders = spawn_order_app_with(&channel, &vouchers.issuer, |s| {
        s.events.event_transport = Transport::Streams
    })
    .await;
    let id = orders.send_order("streams-customer", 12_000).await;
    assert_eq!(vouchers.wait_for_vouchers(&id, Duration::from_secs(5)).await.len(), 1);
}
