//! Who may do what: every order endpoint needs a valid access token, and its scopes and
//! subject decide what it may see and change. Refusals change nothing.

use checkout_auth::Scope;
use checkout_testing::{
    REFETCH_INTERVAL, assert_access_is_documented, assert_insufficient_scope, assert_problem, assert_unauthorized,
};
use serde_json::{Value, json};

use crate::helpers::{TestApp, client_with, order_body, spawn_app};

const CUSTOMER: [Scope; 2] = [Scope::OrdersWrite, Scope::OrdersRead];

impl TestApp {
    /// A client acting as customer `id` with the customer scopes.
    fn customer(&self, id: &str) -> reqwest::Client {
        client_with(&self.issuer.customer(id, &CUSTOMER))
    }

    /// Every order endpoint, for the order `id`, sent by `client`.
    fn every_endpoint(&self, client: &reqwest::Client, id: &str) -> Vec<reqwest::RequestBuilder> {
        vec![
            client
                .post(self.url("/orders"))
                .json(&order_body("alice", &[(1, 20_000)])),
            client.get(self.url("/orders")),
            client.get(self.url("/orders?customer_id=alice")),
            client.get(self.url(&format!("/orders/{id}"))),
            client
                .patch(self.url(&format!("/orders/{id}/status")))
                .json(&json!({"status": "sent"})),
        ]
    }

    /// Creates an order (as the test superuser) and returns its id.
    async fn order_id(&self, customer: &str, items: &[(i64, i64)]) -> String {
        self.create_order(customer, items).await["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// `GET /orders` with `token`.
    async fn list_as(&self, token: &str) -> reqwest::Response {
        client_with(token).get(self.url("/orders")).send().await.unwrap()
    }

    async fn post_as(&self, client: &reqwest::Client, body: &Value) -> reqwest::Response {
        client.post(self.url("/orders")).json(body).send().await.unwrap()
    }

    async fn post_as_with_key(&self, client: &reqwest::Client, key: &str, body: &Value) -> reqwest::Response {
        let request = client.post(self.url("/orders")).header("Idempotency-Key", key);
        request.json(body).send().await.unwrap()
    }

    /// Asserts that the only order is still `id`, unchanged in status `created`, with no event.
    async fn assert_unchanged(&self, id: &str) {
        assert_eq!(self.order_rows().await, 1);
        assert_eq!(self.outbox_rows().await, 0);
        let order: Value = self.get(&format!("/orders/{id}")).await.json().await.unwrap();
        assert_eq!(order["status"], "created");
    }
}

#[tokio::test]
async fn every_endpoint_refuses_a_missing_or_forged_token_and_changes_nothing() {
    let app = spawn_app().await;
    let id = app.order_id("alice", &[(1, 20_000)]).await;
    for request in app.every_endpoint(&app.anonymous, &id) {
        assert_unauthorized(request.send().await.unwrap()).await;
    }
    let mut attempts = vec![
        ("a Basic credential", "Basic YWxpY2U6c2VjcmV0".to_owned()),
        ("an empty bearer", "Bearer ".to_owned()),
    ];
    let every_scope = [
        Scope::OrdersWrite,
        Scope::OrdersRead,
        Scope::OrdersStatus,
        Scope::OrdersAdmin,
    ];
    for (what, token) in app.issuer.forgeries("alice", &every_scope) {
        attempts.push((what, format!("Bearer {token}")));
    }
    for (what, authorization) in attempts {
        for request in app.every_endpoint(&app.anonymous, &id) {
            let response = request.header("Authorization", &authorization).send().await.unwrap();
            assert_eq!(response.status(), 401, "{what}");
            assert_unauthorized(response).await;
        }
    }
    app.assert_unchanged(&id).await;
}

#[tokio::test]
async fn a_rotated_signing_key_is_picked_up_without_a_restart() {
    let app = spawn_app().await;
    let before = app.issuer.customer("alice", &CUSTOMER);
    assert_eq!(app.list_as(&before).await.status(), 200);
    app.issuer.rotate();
    // The key set was fetched at start; the next fetch may come one interval later.
    tokio::time::sleep(REFETCH_INTERVAL + std::time::Duration::from_millis(100)).await;
    let after = app.issuer.customer("alice", &CUSTOMER);
    assert_eq!(app.list_as(&after).await.status(), 200);
    assert_unauthorized(app.list_as(&before).await).await;
}

#[tokio::test]
async fn a_token_without_the_scope_an_operation_needs_is_a_403_naming_it() {
    let app = spawn_app().await;
    let id = app.order_id("alice", &[(1, 20_000)]).await;
    let vouchers_only = client_with(
        &app.issuer
            .customer("alice", &[Scope::VouchersRead, Scope::VouchersAdmin]),
    );
    let [create, list, list_own, get, status]: [_; 5] = app.every_endpoint(&vouchers_only, &id).try_into().unwrap();
    for (request, scopes) in [
        (create, "orders:write"),
        (list, "orders:read orders:admin"),
        (list_own, "orders:read orders:admin"),
        (get, "orders:read orders:admin"),
        (status, "orders:status"),
    ] {
        assert_insufficient_scope(request.send().await.unwrap(), scopes).await;
    }
    let customer = app.customer("alice");
    let status = customer
        .patch(app.url(&format!("/orders/{id}/status")))
        .json(&json!({"status": "sent"}))
        .send()
        .await
        .unwrap();
    assert_insufficient_scope(status, "orders:status").await;
    app.assert_unchanged(&id).await;
}

#[tokio::test]
async fn a_customer_orders_for_itself_and_naming_another_customer_is_a_403() {
    let app = spawn_app().await;
    let alice = app.customer("alice");
    let as_bob = app.post_as(&alice, &order_body("bob", &[(1, 20_000)])).await;
    let problem = assert_problem(as_bob, 403).await;
    assert_eq!(problem["type"], "/problems/other-customer");
    assert_eq!(app.order_rows().await, 0);

    let own = app.post_as(&alice, &order_body("alice", &[(1, 20_000)])).await;
    assert_eq!(own.status(), 201);
    assert_eq!(app.order_rows().await, 1);
}

#[tokio::test]
async fn a_services_own_token_orders_on_behalf_of_any_customer() {
    let app = spawn_app().await;
    let checkout = client_with(&app.issuer.client("checkout", &[Scope::OrdersWrite]));
    let response = app.post_as(&checkout, &order_body("bob", &[(1, 20_000)])).await;
    assert_eq!(response.status(), 201);
    let order: Value = response.json().await.unwrap();
    assert_eq!(order["customer_id"], "bob");
}

#[tokio::test]
async fn another_customers_order_is_not_found_and_lists_hold_the_callers_own() {
    let app = spawn_app().await;
    let bobs = app.order_id("bob", &[(1, 20_000)]).await;
    let alices = app.order_id("alice", &[(1, 500)]).await;
    let alice = app.customer("alice");

    let other = alice.get(app.url(&format!("/orders/{bobs}"))).send().await.unwrap();
    let other = assert_problem(other, 404).await;
    let missing = uuid::Uuid::new_v4();
    let missing = alice.get(app.url(&format!("/orders/{missing}"))).send().await.unwrap();
    let missing = assert_problem(missing, 404).await;
    assert_eq!(other["type"], missing["type"], "no existence oracle");
    assert_eq!(other["title"], missing["title"]);

    for path in ["/orders", "/orders?customer_id=alice"] {
        let page: Value = alice.get(app.url(path)).send().await.unwrap().json().await.unwrap();
        let ids: Vec<_> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].clone())
            .collect();
        assert_eq!(ids, vec![json!(alices)], "{path}");
    }
    let bobs_list = alice.get(app.url("/orders?customer_id=bob")).send().await.unwrap();
    let problem = assert_problem(bobs_list, 403).await;
    assert_eq!(problem["type"], "/problems/other-customer");

    let staff = client_with(&app.issuer.customer("staff-1", &[Scope::OrdersAdmin]));
    let order = staff.get(app.url(&format!("/orders/{bobs}"))).send().await.unwrap();
    assert_eq!(order.status(), 200);
    let everyone: Value = staff
        .get(app.url("/orders"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(everyone["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn an_idempotency_key_belongs_to_the_caller_that_sent_it() {
    let app = spawn_app().await;
    let body = order_body("alice", &[(1, 20_000)]);
    let alice = app.customer("alice");
    let first = app.post_as_with_key(&alice, "checkout-1", &body).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let checkout = client_with(&app.issuer.client("checkout", &[Scope::OrdersWrite]));
    let other_caller = app.post_as_with_key(&checkout, "checkout-1", &body).await;
    assert_eq!(other_caller.status(), 201, "another caller's key is a key of its own");
    assert!(other_caller.headers().get("idempotent-replayed").is_none());
    let order: Value = other_caller.json().await.unwrap();
    assert_ne!(order["id"], first["id"], "never a replay of another caller's order");
    let again = app.post_as_with_key(&checkout, "checkout-1", &body).await;
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let replay = app.post_as_with_key(&alice, "checkout-1", &body).await;
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let replay: Value = replay.json().await.unwrap();
    assert_eq!(replay["id"], first["id"]);
    assert_eq!(app.order_rows().await, 2);
}

#[tokio::test]
async fn the_open_endpoints_need_no_token_and_the_document_states_each_operations_scopes() {
    let app = spawn_app().await;
    assert_access_is_documented(
        &app.address,
        &app.admin_address,
        &[
            ("post", "/orders", &["orders:write"]),
            ("get", "/orders", &["orders:read", "orders:admin"]),
            ("get", "/orders/{id}", &["orders:read", "orders:admin"]),
            ("patch", "/orders/{id}/status", &["orders:status"]),
        ],
    )
    .await;
}
