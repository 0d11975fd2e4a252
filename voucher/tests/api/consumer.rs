use std::time::Duration;

use serde_json::json;

use crate::helpers::{order_sent, spawn_voucher_app};

#[tokio::test]
async fn an_order_over_100_eur_earns_one_5_eur_voucher() {
    let app = spawn_voucher_app().await;
    let event = order_sent("cust-1", 10_001);
    assert_eq!(app.publish(&event.to_string()).await, 1);
    let vouchers = app
        .wait_for_vouchers(event["order_id"].as_str().unwrap(), Duration::from_secs(2))
        .await;
    assert_eq!(vouchers.len(), 1);
    let voucher = &vouchers[0];
    assert_eq!(voucher["amount_cents"], 500);
    assert_eq!(voucher["currency"], "EUR");
    assert_eq!(voucher["status"], "active");
    assert_eq!(voucher["customer_id"], "cust-1");
    assert_eq!(voucher["order_id"], event["order_id"]);
    assert!(voucher.get("redeemed_at").is_none_or(|v| v.is_null()));
}

#[tokio::test]
async fn orders_of_100_eur_or_less_and_other_currencies_earn_nothing() {
    let app = spawn_voucher_app().await;
    let mut usd = order_sent("cust-1", 50_000);
    usd["currency"] = json!("USD");
    for event in [order_sent("cust-1", 10_000), order_sent("cust-1", 1), usd] {
        app.publish(&event.to_string()).await;
    }
    app.drain().await;
    assert_eq!(app.voucher_rows().await, 0);
}

#[tokio::test]
async fn a_redelivered_event_issues_no_second_voucher() {
    let app = spawn_voucher_app().await;
    let event = order_sent("cust-2", 25_000).to_string();
    for _ in 0..5 {
        app.publish(&event).await;
    }
    app.drain().await;
    assert_eq!(app.voucher_rows().await, 1);
}

#[tokio::test]
async fn a_new_event_for_an_order_that_has_a_voucher_issues_no_second_one() {
    let app = spawn_voucher_app().await;
    let first = order_sent("cust-2", 25_000);
    let mut second = order_sent("cust-2", 25_000);
    second["order_id"] = first["order_id"].clone();
    app.publish(&first.to_string()).await;
    app.publish(&second.to_string()).await;
    app.drain().await;
    assert_eq!(app.voucher_rows().await, 1);
}

#[tokio::test]
async fn unreadable_events_are_skipped_and_later_ones_still_processed() {
    let app = spawn_voucher_app().await;
    let mut newer = order_sent("poison", 50_000);
    newer["schema_version"] = json!(2);
    let mut wrong_type = order_sent("poison", 50_000);
    wrong_type["total_cents"] = json!("lots");
    let mut missing = order_sent("poison", 50_000);
    missing.as_object_mut().unwrap().remove("order_id");
    for payload in [
        "not json".to_owned(),
        "{}".to_owned(),
        newer.to_string(),
        wrong_type.to_string(),
        missing.to_string(),
    ] {
        app.publish(&payload).await;
    }
    let mut extra = order_sent("good", 50_000);
    extra["added_in_a_later_version"] = json!({"ignored": true});
    app.publish(&extra.to_string()).await;
    let vouchers = app
        .wait_for_vouchers(extra["order_id"].as_str().unwrap(), Duration::from_secs(2))
        .await;
    assert_eq!(vouchers.len(), 1, "an event with unknown fields is still processed");
    app.drain().await;
    assert_eq!(app.voucher_rows().await, 1, "no poison event produced a voucher");
}

#[tokio::test]
async fn every_authentic_event_is_acknowledged_once_its_outcome_is_stored() {
    let app = spawn_voucher_app().await;
    let mut acks = app.acknowledgements().await;
    let eligible = order_sent("cust-ack", 12_000);
    let small = order_sent("cust-ack", 5_000);
    let mut newer = order_sent("cust-ack", 12_000);
    newer["schema_version"] = json!(3);
    let unsigned = order_sent("cust-ack", 12_000);
    app.publish_raw(&unsigned.to_string()).await;
    for event in [&eligible, &eligible, &small, &newer] {
        app.publish(&event.to_string()).await;
    }
    let mut heard = Vec::new();
    while heard.len() < 4 {
        let ack = tokio::time::timeout(Duration::from_secs(5), acks.recv())
            .await
            .expect("an acknowledgement per authentic event")
            .unwrap();
        heard.push((
            ack["event_id"].as_str().unwrap().to_owned(),
            ack["outcome"].as_str().unwrap().to_owned(),
        ));
    }
    heard.sort();
    let mut expected = vec![
        (eligible["event_id"].as_str().unwrap().to_owned(), "issued".to_owned()),
        (
            eligible["event_id"].as_str().unwrap().to_owned(),
            "already_issued".to_owned(),
        ),
        (
            small["event_id"].as_str().unwrap().to_owned(),
            "not_eligible".to_owned(),
        ),
        (
            newer["event_id"].as_str().unwrap().to_owned(),
            "dead_lettered".to_owned(),
        ),
    ];
    expected.sort();
    assert_eq!(heard, expected);
    // The vouchers and dead letters are there before their acknowledgements went out.
    assert_eq!(
        app.vouchers_for_order(eligible["order_id"].as_str().unwrap())
            .await
            .len(),
        1
    );
    assert_eq!(
        app.dead_letters().await.len(),
        2,
        "the newer event and the unsigned one"
    );
    let late = tokio::time::timeout(Duration::from_millis(500), acks.recv()).await;
    assert!(late.is_err(), "the unsigned event was acknowledged: {late:?}");
}
