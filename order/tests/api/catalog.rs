//! The catalog: products and prices are the shop's, orders copy them, every replica uses a
//! change within the refresh interval, and the CLI imports all or nothing.

use std::time::{Duration, Instant};

use checkout_auth::Scope;
use checkout_testing::{assert_each_invalid, migrated_database, run_binary};
use order::infrastructure::migrations::Migrator;
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, assert_problem, client_with, eventually, order_body, spawn_app, spawn_app_without_products,
};

const ORDER: &str = env!("CARGO_BIN_EXE_order");
const NOT_SOLD: &str = "no active product with this SKU";

fn product(name: &str, cents: i64) -> Value {
    json!({"name": name, "unit_price_cents": cents})
}

fn one_of(sku: &str, quantity: i64) -> Value {
    json!({"customer_id": "alice", "items": [{"sku": sku, "quantity": quantity}]})
}

async fn json_of(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_product_is_created_replaced_read_listed_and_deactivated() {
    let app = spawn_app_without_products().await;
    let created = json_of(
        app.put_product("BOOK-1", &product("The Rust Programming Language", 6000))
            .await,
        201,
    )
    .await;
    assert_eq!(
        (
            &created["sku"],
            &created["name"],
            &created["unit_price_cents"],
            &created["currency"],
            &created["active"]
        ),
        (
            &json!("BOOK-1"),
            &json!("The Rust Programming Language"),
            &json!(6000),
            &json!("EUR"),
            &json!(true)
        )
    );
    let replaced = json_of(app.put_product("BOOK-1", &product("The Rust Book", 5500)).await, 200).await;
    assert_eq!(
        (&replaced["name"], &replaced["unit_price_cents"]),
        (&json!("The Rust Book"), &json!(5500))
    );
    let again = json_of(app.put_product("BOOK-1", &product("The Rust Book", 5500)).await, 200).await;
    assert_eq!(
        again["unit_price_cents"], 5500,
        "the same request again changes nothing"
    );
    json_of(app.put_product("MUG-3", &product("Enamel mug", 1250)).await, 201).await;
    json_of(app.put_product("PEN-2", &product("Fountain pen", 2400)).await, 201).await;

    assert_eq!(json_of(app.get("/products/BOOK-1").await, 200).await, again);
    let first = json_of(app.get("/products?limit=2").await, 200).await;
    let skus = |page: &Value| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["sku"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(skus(&first), ["BOOK-1", "MUG-3"]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = json_of(app.get(&format!("/products?limit=2&cursor={cursor}")).await, 200).await;
    assert_eq!(skus(&second), ["PEN-2"]);
    assert!(second.get("next_cursor").is_none());

    let gone = json_of(app.client.delete(app.url("/products/MUG-3")).send().await.unwrap(), 200).await;
    assert_eq!(gone["active"], false);
    let again = json_of(app.client.delete(app.url("/products/MUG-3")).send().await.unwrap(), 200).await;
    assert_eq!(again["active"], false, "deactivating twice changes nothing");
    assert_eq!(
        skus(&json_of(app.get("/products?active=true").await, 200).await),
        ["BOOK-1", "PEN-2"]
    );
    assert_eq!(
        skus(&json_of(app.get("/products?active=false").await, 200).await),
        ["MUG-3"]
    );
    assert_eq!(json_of(app.get("/products/MUG-3").await, 200).await["active"], false);
    assert_problem(app.get("/products/NOPE").await, 404).await;
    assert_problem(app.client.delete(app.url("/products/NOPE")).send().await.unwrap(), 404).await;
}

#[tokio::test]
async fn a_bad_product_is_refused_naming_each_field_and_changes_nothing() {
    let app = spawn_app_without_products().await;
    let put = |sku: &str, body: Value| app.client.put(app.url(&format!("/products/{sku}"))).json(&body);
    let price = "must be an integer from 1 to 100000000 (cents)";
    let text = "must be 1 to 64 characters, not blank, without control characters";
    let cases = [
        (put("A", product("Apple", 0)), vec![("unit_price_cents", price)]),
        (
            put("A", product("Apple", 100_000_001)),
            vec![("unit_price_cents", price)],
        ),
        (put("A", product("Apple", -1)), vec![("unit_price_cents", price)]),
        (
            put("A", json!({"name": "Apple", "unit_price_cents": 1.5})),
            vec![("unit_price_cents", price)],
        ),
        (
            put("A", json!({"name": "Apple", "unit_price_cents": "100"})),
            vec![("unit_price_cents", price)],
        ),
        (
            put("A", json!({"name": " ", "unit_price_cents": 0})),
            vec![("name", text), ("unit_price_cents", price)],
        ),
        (
            put("A", json!({"unit_price_cents": 100})),
            vec![("name", "is required")],
        ),
        (
            put("A", json!({"name": "Apple"})),
            vec![("unit_price_cents", "is required")],
        ),
        (
            put("A", json!({"name": "Apple", "unit_price_cents": 1, "currency": "USD"})),
            vec![("currency", "must be EUR")],
        ),
        (
            put("A", json!({"name": "Apple", "unit_price_cents": 1, "active": "yes"})),
            vec![("active", "must be true or false")],
        ),
        (
            put("A", json!({"name": "Apple", "unit_price_cents": 1, "sku": "B"})),
            vec![("sku", "is not a known field")],
        ),
        (put("%20", product("Apple", 100)), vec![("sku", text)]),
        (put(&"s".repeat(65), product("Apple", 100)), vec![("sku", text)]),
    ];
    assert_each_invalid(cases).await;
    assert_eq!(app.count("SELECT count(*) FROM products").await, 0);
    assert_eq!(app.count("SELECT version FROM catalog_version").await, 0);
}

#[tokio::test]
async fn unknown_inactive_and_malformed_skus_are_refused_naming_the_line_and_nothing_is_stored() {
    let app = spawn_app().await;
    app.put_product("RETIRED", &product("Retired", 100)).await;
    app.client.delete(app.url("/products/RETIRED")).send().await.unwrap();
    let lines = |skus: &[&str]| json!({"customer_id": "alice", "items": skus.iter().map(|s| json!({"sku": s, "quantity": 1})).collect::<Vec<_>>()});

    let unknown = assert_problem(app.post_order(&lines(&["P-100", "NO-SUCH", "RETIRED"])).await, 422).await;
    assert_eq!(unknown["type"], "/problems/unknown-product");
    assert_eq!(
        unknown["errors"],
        json!([{"field": "items[1].sku", "message": NOT_SOLD}, {"field": "items[2].sku", "message": NOT_SOLD}])
    );
    assert!(
        unknown["detail"]
            .as_str()
            .unwrap()
            .contains("items[1].sku: no active product with this SKU"),
        "{unknown}"
    );
    // SKUs are compared as written: the catalog's `P-100` is not `p-100`.
    let case = assert_problem(app.post_order(&lines(&["p-100"])).await, 422).await;
    assert_eq!(case["errors"][0]["field"], "items[0].sku");
    assert_problem(app.post_order(&lines(&["P-100", "\u{7}"])).await, 400).await;
    assert_eq!(app.order_rows().await, 0);
    assert_eq!(app.outbox_rows().await, 0);
}

#[tokio::test]
async fn a_price_change_or_deactivation_reaches_new_orders_only() {
    let app = spawn_app_without_products().await;
    let mut events = app.subscribe().await;
    app.put_product("BOOK-1", &product("The Rust Programming Language", 6000))
        .await;
    let old = json_of(app.post_order(&one_of("BOOK-1", 2)).await, 201).await;
    assert_eq!(old["total_cents"], 12_000);

    app.put_product("BOOK-1", &product("The Rust Book, 2nd edition", 7000))
        .await;
    let new = json_of(app.post_order(&one_of("BOOK-1", 2)).await, 201).await;
    assert_eq!(
        (&new["total_cents"], &new["items"][0]["name"]),
        (&json!(14_000), &json!("The Rust Book, 2nd edition"))
    );
    app.client.delete(app.url("/products/BOOK-1")).send().await.unwrap();

    let id = old["id"].as_str().unwrap();
    let kept = json_of(app.get(&format!("/orders/{id}")).await, 200).await;
    assert_eq!(kept, old, "the order keeps the name and price it was taken at");
    assert_eq!(
        kept["items"],
        json!([{"sku": "BOOK-1", "name": "The Rust Programming Language", "quantity": 2, "unit_price_cents": 6000}])
    );
    assert_eq!(app.patch_status(id, "sent").await.status(), 200);
    let event = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .expect("the event is published")
        .unwrap();
    assert_eq!(
        (&event["order_id"], &event["total_cents"]),
        (&json!(id), &json!(12_000))
    );
    assert_problem(app.post_order(&one_of("BOOK-1", 1)).await, 422).await;
}

#[tokio::test]
async fn only_a_catalog_writer_changes_the_catalog_and_any_caller_reads_it() {
    let app = spawn_app().await;
    let customer = client_with(&app.issuer.customer("alice", &[Scope::OrdersWrite, Scope::OrdersRead]));
    let checkout = client_with(&app.issuer.client(
        "checkout",
        &[Scope::OrdersWrite, Scope::OrdersStatus, Scope::OrdersAdmin],
    ));
    let vouchers = client_with(&app.issuer.client("vouchers", &[Scope::VouchersRead]));
    let writer = client_with(&app.issuer.client("merchandising", &[Scope::CatalogWrite]));
    let body = product("Cheap", 1);

    for client in [&customer, &checkout] {
        let refused = assert_problem(
            client.put(app.url("/products/P-100")).json(&body).send().await.unwrap(),
            403,
        )
        .await;
        assert!(
            refused["detail"].as_str().unwrap().contains("catalog:write"),
            "{refused}"
        );
        assert_problem(client.delete(app.url("/products/P-100")).send().await.unwrap(), 403).await;
        assert_eq!(
            client.get(app.url("/products/P-100")).send().await.unwrap().status(),
            200
        );
        assert_eq!(client.get(app.url("/products")).send().await.unwrap().status(), 200);
    }
    assert_problem(vouchers.get(app.url("/products")).send().await.unwrap(), 403).await;
    assert_problem(app.anonymous.get(app.url("/products")).send().await.unwrap(), 401).await;
    assert_eq!(
        json_of(app.get("/products/P-100").await, 200).await["unit_price_cents"],
        100,
        "nothing changed"
    );

    assert_eq!(
        writer
            .put(app.url("/products/P-100"))
            .json(&body)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        json_of(app.get("/products/P-100").await, 200).await["unit_price_cents"],
        1
    );
}

#[tokio::test]
async fn a_price_change_through_one_replica_reaches_the_other_within_the_refresh_interval() {
    const REFRESH: Duration = Duration::from_millis(200);
    let app = spawn_app().await;
    let other = app
        .spawn_replica(|s| s.catalog_refresh_ms = REFRESH.as_millis() as u64)
        .await;
    let total = |order: &Value| order["total_cents"].as_i64().unwrap();
    assert_eq!(
        total(&json_of(other.post_order(&order_body("alice", &[(1, 500)])).await, 201).await),
        500
    );

    assert_eq!(app.put_product("P-500", &product("Repriced", 650)).await.status(), 200);
    let changed = Instant::now();
    assert_eq!(
        total(&json_of(app.post_order(&order_body("alice", &[(1, 500)])).await, 201).await),
        650,
        "at once where it was written"
    );
    let seen = eventually(Duration::from_secs(5), || async {
        let order = json_of(other.post_order(&order_body("alice", &[(1, 500)])).await, 201).await;
        (total(&order) == 650).then(|| changed.elapsed())
    })
    .await
    .expect("the other replica takes the new price");
    // The bound is the interval plus one reload; the slack is for a loaded test machine.
    assert!(seen < REFRESH + Duration::from_millis(800), "took {seen:?}");

    assert_eq!(
        app.client
            .delete(app.url("/products/P-500"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let refused = eventually(Duration::from_secs(5), || async {
        (other.post_order(&order_body("alice", &[(1, 500)])).await.status() == 422).then_some(())
    })
    .await;
    assert!(
        refused.is_some(),
        "the other replica stops selling a deactivated product"
    );
}

/// A migrated database and the environment of `order catalog` for it.
async fn catalog_database() -> (TestApp, Vec<(&'static str, String)>) {
    let app = spawn_app_without_products().await;
    let vars = vec![("ORDER_DATABASE_URL", app.database.url.clone())];
    (app, vars)
}

fn catalog_command(vars: &[(&'static str, String)], args: &[&str]) -> std::process::Output {
    let vars: Vec<_> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    run_binary(ORDER, args, &vars)
}

fn temp_file(text: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("catalog-{}.csv", uuid::Uuid::new_v4().simple()));
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test]
async fn an_import_is_all_or_nothing_and_names_each_bad_line_and_field() {
    let (app, vars) = catalog_database().await;
    app.put_product("BOOK-1", &product("The Rust Programming Language", 6000))
        .await;
    let bad = temp_file(
        "sku,name,unit_price_cents\nBOOK-1,The Rust Book,5000\nMUG-3,Enamel mug,12.50\nPEN-2,,2400\nLAMP-4,Desk lamp,4500\n",
    );

    let output = catalog_command(&vars, &["catalog", "import", bad.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("line 3, unit_price_cents: must be an integer from 1 to 100000000 (cents)"),
        "{stderr}"
    );
    assert!(stderr.contains("line 4, name: must be 1 to 64 characters"), "{stderr}");
    assert_eq!(
        app.count("SELECT count(*) FROM products").await,
        1,
        "nothing was written"
    );
    assert_eq!(
        json_of(app.get("/products/BOOK-1").await, 200).await["unit_price_cents"],
        6000
    );
    std::fs::remove_file(bad).unwrap();

    let good = temp_file("sku,name,unit_price_cents\nBOOK-1,The Rust Book,5000\nMUG-3,Enamel mug,1250\n");
    for expected in ["1 created, 1 replaced", "0 created, 2 replaced"] {
        let output = catalog_command(&vars, &["catalog", "import", good.to_str().unwrap()]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        assert!(stdout.contains(expected), "{stdout}");
    }
    std::fs::remove_file(good).unwrap();
    assert_eq!(
        app.count("SELECT count(*) FROM products").await,
        2,
        "importing twice is importing once"
    );
    // The running service takes the import within its refresh interval.
    let repriced = eventually(Duration::from_secs(5), || async {
        let order = json_of(app.post_order(&one_of("BOOK-1", 1)).await, 201).await;
        (order["total_cents"] == 5000).then_some(())
    })
    .await;
    assert!(repriced.is_some(), "the service prices from the imported catalog");

    app.client.delete(app.url("/products/MUG-3")).send().await.unwrap();
    let output = catalog_command(&vars, &["catalog", "export"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "sku,name,unit_price_cents\nBOOK-1,The Rust Book,5000\n",
        "the export holds the active products, as import reads them"
    );
}

#[tokio::test]
async fn the_sample_catalog_imports() {
    let (database, _db) = migrated_database::<Migrator>().await;
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/catalog.csv");
    let output = run_binary(
        ORDER,
        &["catalog", "import", sample],
        &[("ORDER_DATABASE_URL", &database.url)],
    );
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("5 created, 0 replaced"));
}

#[tokio::test]
async fn a_retry_with_its_key_after_the_product_left_the_catalog_gets_the_first_order() {
    let app = spawn_app_without_products().await;
    app.put_product("BOOK-1", &product("The Rust Programming Language", 6000))
        .await;
    let first = app.post_order_with_key("retry-1", &one_of("BOOK-1", 1)).await;
    let first = json_of(first, 201).await;
    app.client.delete(app.url("/products/BOOK-1")).send().await.unwrap();

    let retry = app.post_order_with_key("retry-1", &one_of("BOOK-1", 1)).await;
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    assert_eq!(json_of(retry, 201).await, first);
    let other = app.post_order_with_key("retry-1", &one_of("BOOK-1", 2)).await;
    assert_eq!(
        assert_problem(other, 422).await["type"],
        "/problems/idempotency-key-reused"
    );
    let fresh = app.post_order_with_key("retry-2", &one_of("BOOK-1", 1)).await;
    assert_eq!(assert_problem(fresh, 422).await["type"], "/problems/unknown-product");
    assert_eq!(app.order_rows().await, 1);
}

#[tokio::test]
async fn a_deactivation_at_the_same_moment_as_a_price_change_keeps_the_new_price() {
    let app = spawn_app().await;
    for round in 0..30 {
        let sku = format!("RACE-{round}");
        assert_eq!(app.put_product(&sku, &product("Before", 100)).await.status(), 201);
        let url = app.url(&format!("/products/{sku}"));
        let delete = app.client.delete(url).send();
        let after = product("After", 200);
        let (put, delete) = tokio::join!(app.put_product(&sku, &after), delete);
        assert_eq!(put.status(), 200);
        assert_eq!(delete.unwrap().status(), 200);
        let stored = json_of(app.get(&format!("/products/{sku}")).await, 200).await;
        assert_eq!(
            (&stored["name"], &stored["unit_price_cents"]),
            (&json!("After"), &json!(200)),
            "round {round}: the deactivation undid the change: {stored}"
        );
    }
}
