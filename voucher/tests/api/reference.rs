//! The API reference: complete, shown by `/docs`, and true to what each operation answers.

use checkout_auth::Scope;
use checkout_testing::{
    StatusCoverage, assert_every_metric_is_described, assert_fields_in_documented_order, assert_reference_is_complete,
    field_order, served_document, take_the_database_away, until_limited,
};
use reqwest::Method;

use crate::helpers::{order_placed, order_sent_with_voucher, spawn_voucher_app, spawn_voucher_app_with};

const UNKNOWN: &str = "0000-0000-0000-0000";

#[tokio::test]
async fn the_reference_describes_everything_and_docs_shows_the_served_document() {
    let app = spawn_voucher_app().await;
    assert_reference_is_complete(&app.address).await;
}

#[tokio::test]
async fn a_voucher_answers_with_its_fields_in_the_documented_order() {
    let app = spawn_voucher_app().await;
    let voucher = app.issue("alice").await;
    let code = voucher["code"].as_str().unwrap();
    let text = app.get(&format!("/vouchers/{code}")).await.text().await.unwrap();
    let document = served_document(&app.address).await;
    assert_fields_in_documented_order(&text, &document, "VoucherDto");
    assert!(!field_order(&text).contains(&"redeemed_at".to_owned()), "{text}");
    let (order, id) = (uuid::Uuid::now_v7().to_string(), voucher["id"].as_str().unwrap());
    app.send(&order_placed("alice", &order, id)).await;
    app.send(&order_sent_with_voucher("alice", &order, id, 12_000)).await;
    app.drain().await;
    let redeemed = app.get(&format!("/vouchers/{code}")).await.text().await.unwrap();
    assert_fields_in_documented_order(&redeemed, &document, "VoucherDto");
    assert!(field_order(&redeemed).contains(&"redeemed_at".to_owned()), "{redeemed}");
}

#[tokio::test]
async fn every_metric_is_described() {
    let app = spawn_voucher_app().await;
    let voucher = app.issue("alice").await;
    let order = uuid::Uuid::now_v7().to_string();
    app.send(&order_placed("alice", &order, voucher["id"].as_str().unwrap()))
        .await;
    app.publish_raw("not a sealed event").await;
    app.drain().await;
    let metrics = app.admin("/metrics").await.text().await.unwrap();
    for family in [
        "vouchers_issued_total",
        "voucher_usages_recorded_total",
        "events_rejected_total",
    ] {
        assert!(metrics.contains(&format!("# HELP {family} ")), "{family}:\n{metrics}");
    }
    assert_every_metric_is_described(&metrics);
}

#[tokio::test]
async fn every_operation_answers_each_declared_status_and_no_other() {
    let app = spawn_voucher_app_with(checkout_testing::unique_name("order.sent"), |settings| {
        let limits = &mut settings.http_limits;
        (limits.rate_limit_lookups_per_sec, limits.rate_limit_lookups_burst) = (1, 20);
    })
    .await;
    let mut coverage = StatusCoverage::of(&app.address).await;
    let voucher = app.issue("alice").await;
    let code = voucher["code"].as_str().unwrap().to_owned();
    let alice = app.customer_token("alice");
    let bob = app.customer_token("bob");
    let admin = app.issuer.customer("support-2", &[Scope::VouchersAdmin]);
    let unscoped = app.issuer.customer("alice", &[Scope::OrdersRead]);
    let as_ = |method: Method, path: &str, token: Option<&str>| {
        let request = app.client.request(method, app.url(path));
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    };

    // GET /vouchers
    let list = "/vouchers";
    let mut lookup = async |path: &str, token: Option<&str>, template: &str, method: Method| {
        let response = as_(method.clone(), path, token).send().await.unwrap();
        coverage
            .record(method.as_str().to_ascii_lowercase().as_str(), template, response)
            .await;
    };
    lookup("/vouchers", Some(&alice), list, Method::GET).await;
    lookup("/vouchers?limit=0", Some(&alice), list, Method::GET).await;
    lookup("/vouchers", None, list, Method::GET).await;
    lookup("/vouchers", Some(&unscoped), list, Method::GET).await;
    lookup("/vouchers?customer_id=bob", Some(&alice), list, Method::GET).await;

    // GET /vouchers/{code}
    let one = "/vouchers/{code}";
    let path = format!("/vouchers/{code}");
    lookup(&path, Some(&alice), one, Method::GET).await;
    lookup("/vouchers/not-a-code", Some(&alice), one, Method::GET).await;
    lookup(&path, None, one, Method::GET).await;
    lookup(&path, Some(&unscoped), one, Method::GET).await;
    lookup(&path, Some(&bob), one, Method::GET).await;

    lookup(&path, Some(&admin), one, Method::GET).await;
    lookup(&format!("/vouchers/{UNKNOWN}"), Some(&alice), one, Method::GET).await;

    for (method, template, path) in [
        (Method::GET, list, "/vouchers".to_owned()),
        (Method::GET, one, format!("/vouchers/{UNKNOWN}")),
    ] {
        let flood = app.customer_token(&format!("flood-{template}"));
        let limited = until_limited(|| as_(method.clone(), &path, Some(&flood))).await;
        coverage
            .record(method.as_str().to_ascii_lowercase().as_str(), template, limited)
            .await;
    }

    take_the_database_away(&app.db).await;
    for (method, template, path) in [
        (Method::GET, list, "/vouchers".to_owned()),
        (Method::GET, one, format!("/vouchers/{code}")),
    ] {
        let down = app.customer_token(&format!("down-{template}"));
        let response = as_(method.clone(), &path, Some(&down)).send().await.unwrap();
        coverage
            .record(method.as_str().to_ascii_lowercase().as_str(), template, response)
            .await;
    }
    coverage.finish();
}
