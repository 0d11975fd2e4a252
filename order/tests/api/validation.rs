//! Errors that speak the client's language: a 400 names each field as the client wrote it
//! and the rule it broke, and nothing is stored.

use checkout_testing::{assert_each_400_names_nothing_internal, assert_each_invalid, assert_problem};
use serde_json::{Value, json};

use crate::helpers::{TestApp, order_body, spawn_app};

const TEXT: &str = "must be 1 to 64 characters, not blank, without control characters";
const QUANTITY: &str = "must be an integer from 1 to 1000";
const PRICED_BY_CATALOG: &str = "is not accepted: prices come from the catalog";
const ITEMS: &str = "must hold 1 to 100 items";
const LIMIT: &str = "must be an integer from 1 to 100";
const UUID: &str = "must be a UUID";
const STATUSES: &str = "must be one of created, sent, delivered, cancelled";

fn item(sku: &str, quantity: Value) -> Value {
    json!({"sku": sku, "quantity": quantity})
}

fn post(app: &TestApp, body: &Value) -> reqwest::RequestBuilder {
    app.post_order_text(body.to_string())
}

#[tokio::test]
async fn a_quantity_that_is_not_a_whole_number_gets_the_quantity_rule() {
    let app = spawn_app().await;
    let body = |quantity: Value| json!({"customer_id": "c", "items": [item("P-100", quantity)]});

    let cases = [json!("two"), json!(1.5)].map(|q| (post(&app, &body(q)), vec![("items[0].quantity", QUANTITY)]));

    assert_each_invalid(cases).await;
    assert_eq!(app.order_rows().await, 0);
}

#[tokio::test]
async fn every_broken_field_of_a_body_is_listed_in_one_answer() {
    let app = spawn_app().await;
    let mut too_many = vec![item("P-1", json!(1)); 100];
    too_many.push(item("P-1", json!(0)));
    let cases = [
        (
            json!({"customer_id": " ", "items": [
                item("", json!(1)),
                item("P-2", json!(1001)),
            ]}),
            vec![
                ("customer_id", TEXT),
                ("items[0].sku", TEXT),
                ("items[1].quantity", QUANTITY),
            ],
        ),
        (
            json!({"customer_id": "", "items": []}),
            vec![("customer_id", TEXT), ("items", ITEMS)],
        ),
        (
            json!({"customer_id": "c", "items": too_many}),
            vec![("items", ITEMS), ("items[100].quantity", QUANTITY)],
        ),
    ];

    assert_each_invalid(cases.map(|(body, expected)| (post(&app, &body), expected))).await;
    assert_eq!(app.order_rows().await, 0);
}

#[tokio::test]
async fn a_price_chosen_by_the_customer_is_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let cases = [
        json!({"customer_id": "c", "items": [{"sku": "P-6000", "quantity": 1, "unit_price_cents": 1}]}),
        json!({"customer_id": "c", "items": [
            {"sku": "P-6000", "quantity": 1},
            {"sku": "P-6000", "quantity": 1, "unit_price_cents": 6000},
        ]}),
    ];
    let expected = [
        ("items[0].unit_price_cents", PRICED_BY_CATALOG),
        ("items[1].unit_price_cents", PRICED_BY_CATALOG),
    ];

    assert_each_invalid(
        cases
            .iter()
            .zip(expected)
            .map(|(body, field)| (post(&app, body), vec![field])),
    )
    .await;
    assert_eq!(app.order_rows().await, 0);
}

#[tokio::test]
async fn a_body_that_does_not_fit_the_schema_names_the_field_and_why() {
    let app = spawn_app().await;
    let line = r#"{"sku": "P-1", "quantity": 1}"#;
    let cases = [
        // A key written twice is refused rather than one of its values taken.
        (
            format!(r#"{{"customer_id": "a", "customer_id": "b", "items": [{line}]}}"#),
            vec![("customer_id", "appears more than once")],
        ),
        (
            r#"{"customer_id": "a", "items": [{"sku": "P-1", "quantity": 1, "quantity": 900}]}"#.to_owned(),
            vec![("items[0].quantity", "appears more than once")],
        ),
        (
            format!(r#"{{"customer_id": "c", "items": [{line}], "surprise": true}}"#),
            vec![("surprise", "is not a known field")],
        ),
        (
            r#"{"customer_id": "c", "items": [{"sku": "P-1", "quantity": 1, "colour": "red"}]}"#.to_owned(),
            vec![("items[0].colour", "is not a known field")],
        ),
        (
            format!(r#"{{"items": [{line}]}}"#),
            vec![("customer_id", "is required")],
        ),
        (r#"{"customer_id": "c"}"#.to_owned(), vec![("items", "is required")]),
        (
            r#"{"customer_id": "c", "items": [{"sku": "P-1"}]}"#.to_owned(),
            vec![("items[0].quantity", "is required")],
        ),
        (
            r#"{"customer_id": "c", "items": [["P-1", 2]]}"#.to_owned(),
            vec![("items[0]", "must be a JSON object")],
        ),
        (
            format!(r#"{{"customer_id": "c", "items": [{line}], "currency": "USD"}}"#),
            vec![("currency", "must be EUR")],
        ),
        (
            format!(r#"{{"customer_id": "c", "items": [{line}], "currency": {{"EUR": null}}}}"#),
            vec![("currency", "must be EUR")],
        ),
        (
            format!(r#"{{"customer_id": "c", "items": [{line}], "currency": 5}}"#),
            vec![("currency", "must be EUR")],
        ),
        (
            r#"{"customer_id": "c", "items": [{"sku": 7, "quantity": 1}]}"#.to_owned(),
            vec![("items[0].sku", TEXT)],
        ),
    ];

    assert_each_invalid(cases.map(|(text, expected)| (app.post_order_text(text), expected))).await;
    assert_eq!(app.order_rows().await, 0);
}

#[tokio::test]
async fn an_empty_body_is_a_400_that_says_a_json_object_is_expected() {
    let app = spawn_app().await;

    for text in ["", " \n"] {
        let response = app.post_order_text(text).send().await.unwrap();

        let problem = assert_problem(response, 400).await;
        assert_eq!(
            problem["detail"], "the body is empty; a JSON object is expected",
            "{problem}"
        );
    }
    assert_eq!(app.order_rows().await, 0);
}

#[tokio::test]
async fn a_bad_parameter_is_named_as_the_client_wrote_it() {
    let app = spawn_app().await;
    let cases = [
        ("/orders?limit=0", vec![("limit", LIMIT)]),
        ("/orders?limit=abc", vec![("limit", LIMIT)]),
        ("/orders?status=shipped", vec![("status", STATUSES)]),
        ("/orders?cursor=nope", vec![("cursor", UUID)]),
        ("/orders?customer_id=%00", vec![("customer_id", TEXT)]),
        (
            "/orders?cursor=nope&limit=0&status=shipped",
            vec![("status", STATUSES), ("limit", LIMIT), ("cursor", UUID)],
        ),
        ("/orders/not-a-uuid", vec![("id", UUID)]),
    ];

    assert_each_invalid(cases.map(|(path, expected)| (app.client.get(app.url(path)), expected))).await;
}

#[tokio::test]
async fn no_400_detail_speaks_of_internal_names() {
    let app = spawn_app().await;
    let order = app.create_order("c", &[(1, 100)]).await;
    let status_url = app.url(&format!("/orders/{}/status", order["id"].as_str().unwrap()));
    let line = r#"{"sku": "P-1", "quantity": 1}"#;
    let bodies = [
        json!({"customer_id": "c", "items": [item("P-1", json!("two"))]}),
        json!({"customer_id": "c", "items": [item("P-1", json!(1.5))]}),
        json!({"customer_id": "c", "items": [item("P-1", json!(1e30))]}),
        json!({"customer_id": "c", "items": [item("P-1", json!(9_223_372_036_854_775_808u64))]}),
        json!({"customer_id": "c", "items": [item("P-1", json!(null))]}),
        json!({"customer_id": "c", "items": [{"sku": {"id": 1}, "quantity": 1}]}),
        json!({"customer_id": 42, "items": [item("P-1", json!(1))]}),
        json!({"customer_id": null, "items": [item("P-1", json!(1))]}),
        json!({"customer_id": "c", "items": "many"}),
        json!({"customer_id": "c", "items": {"sku": "A"}}),
        json!({"customer_id": "c", "items": ["A"]}),
        json!({"customer_id": "c", "items": [item("P-1", json!(1))], "currency": 5}),
        json!({"customer_id": "c", "items": [item("P-1", json!(1))], "currency": "eur"}),
        json!({"customer_id": "c", "items": [item("P-1", json!(1))], "total_cents": 1}),
        json!([]),
        json!(null),
        json!("an order"),
    ];
    let texts = [
        format!(r#"{{"customer_id": "c", "items": [{line}], "items": [{line}]}}"#),
        r#"{"customer_id": "c", "items": ["#.to_owned(),
        format!(r#"{{"customer_id": "c", "items": [{line}]}} trailing"#),
        "{'customer_id': 'c'}".to_owned(),
        "[".repeat(200),
    ];
    let statuses = [
        json!({"status": 1}),
        json!({"status": null}),
        json!({}),
        json!([]),
        json!({"status": "SENT"}),
    ];
    let paths = [
        "/orders?limit=ten",
        "/orders?limit=-1",
        "/orders?limit=1.5",
        "/orders?limit=99999999999999999999999",
        "/orders?status=",
        "/orders?cursor=",
        "/orders?customer_id=",
        "/orders/123",
    ];
    let requests = bodies
        .iter()
        .map(|body| post(&app, body))
        .chain(texts.map(|text| app.post_order_text(text)))
        .chain(statuses.iter().map(|body| app.client.patch(&status_url).json(body)))
        .chain(paths.map(|path| app.client.get(app.url(path))))
        .chain([
            app.client
                .patch(app.url("/orders/not-a-uuid/status"))
                .json(&json!({"status": "sent"})),
            app.client
                .post(app.url("/orders"))
                .header("Idempotency-Key", "")
                .json(&order_body("c", &[(1, 100)])),
        ]);

    assert_each_400_names_nothing_internal(requests).await;
    assert_eq!(app.order_rows().await, 1);
}
