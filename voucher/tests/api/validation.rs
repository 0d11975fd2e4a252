//! Errors that speak the client's language: a 400 names the parameter as the client wrote
//! it and the rule it broke, and no voucher changes.

use checkout_testing::{assert_each_400_names_nothing_internal, assert_each_invalid, assert_problem};
use reqwest::Method;
use serde_json::Value;

use crate::helpers::spawn_voucher_app;

const CODE: &str = "must be a voucher code: 16 characters of Crockford base32, e.g. 7K3M-QX9P-2HBD-W4RT";
const TEXT: &str = "must be 1 to 64 characters, not blank, without control characters";
const LIMIT: &str = "must be an integer from 1 to 100";

#[tokio::test]
async fn a_malformed_code_names_the_code_and_leaves_the_voucher_as_it_was() {
    let app = spawn_voucher_app().await;
    let voucher = app.issue("cust").await;
    let code = voucher["code"].as_str().unwrap();

    let cases = [
        (app.admin_get("/vouchers/not-a-code"), vec![("code", CODE)]),
        (
            app.request(Method::GET, "/vouchers/!!", &app.customer_token("cust")),
            vec![("code", CODE)],
        ),
    ];

    assert_each_invalid(cases).await;
    let stored: Value = app.get(&format!("/vouchers/{code}")).await.json().await.unwrap();
    assert_eq!(stored, voucher);
    assert_eq!(stored["status"], "active");
}

#[tokio::test]
async fn a_bad_list_parameter_is_named_as_the_client_wrote_it() {
    let app = spawn_voucher_app().await;
    let cases = [
        ("order_id=nope", vec![("order_id", "must be a UUID")]),
        ("customer_id=c&limit=101", vec![("limit", LIMIT)]),
        ("customer_id=%00", vec![("customer_id", TEXT)]),
        (
            "customer_id=%00&order_id=nope&limit=0",
            vec![("customer_id", TEXT), ("order_id", "must be a UUID"), ("limit", LIMIT)],
        ),
    ];

    let requests = cases.map(|(query, expected)| (app.admin_get(&format!("/vouchers?{query}")), expected));

    assert_each_invalid(requests).await;
}

#[tokio::test]
async fn listing_without_a_filter_is_a_400_that_says_which_filters_there_are() {
    let app = spawn_voucher_app().await;

    let response = app.get("/vouchers").await;

    let problem = assert_problem(response, 400).await;
    assert_eq!(problem["type"], "/problems/validation", "{problem}");
    assert_eq!(problem["detail"], "give customer_id or order_id (or both)", "{problem}");
}

#[tokio::test]
async fn no_400_detail_speaks_of_internal_names() {
    let app = spawn_voucher_app().await;
    let paths = [
        "/vouchers",
        "/vouchers?limit=5",
        "/vouchers?customer_id=",
        "/vouchers?customer_id=c&limit=abc",
        "/vouchers?customer_id=c&limit=-1",
        "/vouchers?customer_id=c&limit=99999999999999999999999",
        "/vouchers?order_id=",
        "/vouchers?order_id=123",
        "/vouchers/x",
        "/vouchers/UUUU-UUUU-UUUU-UUUU",
        "/vouchers/7K3M-QX9P-2HBD-W4RT0",
    ];
    let customer = app.customer_token("cust");
    let requests = paths
        .map(|path| app.admin_get(path))
        .into_iter()
        .chain(["/vouchers/%00", "/vouchers/not-a-code"].map(|path| app.request(Method::GET, path, &customer)));

    assert_each_400_names_nothing_internal(requests).await;
    assert_eq!(app.voucher_rows().await, 0);
}
