//! What orders do with a voucher, as the order service's events tell it: its status and its
//! history, the same whatever order and however often the events arrive.

use serde_json::Value;
use uuid::Uuid;

use crate::helpers::{
    VoucherApp, order_cancelled, order_placed, order_sent, order_sent_with_voucher, spawn_voucher_app,
    spawn_voucher_app_with,
};

/// The voucher with `code`, as its owner reads it.
async fn read(app: &VoucherApp, code: &str, owner: &str) -> Value {
    let response = app
        .request(
            reqwest::Method::GET,
            &format!("/vouchers/{code}"),
            &app.customer_token(owner),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// `events` sent in this order, then every one of them handled.
async fn send_all(app: &VoucherApp, events: &[Value]) {
    for event in events {
        app.send(event).await;
    }
    app.drain().await;
}

/// The (event, order) pairs of a voucher's history, after its `issued` entry.
fn history(voucher: &Value) -> Vec<(String, String)> {
    let entries = voucher["history"].as_array().unwrap();
    assert_eq!(entries[0]["event"], "issued");
    assert_eq!(entries[0]["order_id"], voucher["order_id"]);
    entries[1..]
        .iter()
        .map(|e| {
            (
                e["event"].as_str().unwrap().to_owned(),
                e["order_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn ids() -> (String, String) {
    (Uuid::now_v7().to_string(), Uuid::now_v7().to_string())
}

#[tokio::test]
async fn a_voucher_is_reserved_given_back_and_spent_as_its_orders_go() {
    let app = spawn_voucher_app().await;
    let voucher = app.issue("alice").await;
    let (code, id) = (voucher["code"].as_str().unwrap(), voucher["id"].as_str().unwrap());
    let (a, b) = ids();

    send_all(&app, &[order_placed("alice", &a, id)]).await;
    let reserved = read(&app, code, "alice").await;
    assert_eq!(
        (&reserved["status"], &reserved["used_by_order_id"]),
        (&"reserved".into(), &a.as_str().into())
    );

    send_all(&app, &[order_cancelled("alice", &a, id)]).await;
    let given_back = read(&app, code, "alice").await;
    assert_eq!(
        (&given_back["status"], &given_back["used_by_order_id"]),
        (&"active".into(), &Value::Null)
    );

    send_all(
        &app,
        &[
            order_placed("alice", &b, id),
            order_sent_with_voucher("alice", &b, id, 10_400),
        ],
    )
    .await;
    let spent = read(&app, code, "alice").await;
    assert_eq!(
        (&spent["status"], &spent["used_by_order_id"]),
        (&"redeemed".into(), &b.as_str().into())
    );
    assert!(spent["redeemed_at"].is_string(), "{spent}");
    let pair = |event: &str, order: &str| (event.to_owned(), order.to_owned());
    assert_eq!(
        history(&spent),
        [
            pair("reserved", &a),
            pair("released", &a),
            pair("reserved", &b),
            pair("redeemed", &b)
        ]
    );
    // The earning rule read what the customer paid: 104.00 less 5.00 earns nothing.
    assert!(app.vouchers_for_order(&b).await.is_empty());
}

#[tokio::test]
async fn events_twice_late_or_out_of_order_have_the_same_outcome() {
    let app = spawn_voucher_app().await;
    let (a, b) = ids();
    // In order, once.
    let in_order = app.issue("alice").await;
    let id = in_order["id"].as_str().unwrap();
    send_all(
        &app,
        &[
            order_placed("alice", &a, id),
            order_cancelled("alice", &a, id),
            order_placed("alice", &b, id),
            order_sent_with_voucher("alice", &b, id, 20_000),
        ],
    )
    .await;
    // Backwards, and every event twice: the cancellation before the hold it ends.
    let shuffled = app.issue("alice").await;
    let other = shuffled["id"].as_str().unwrap();
    let (c, d) = ids();
    let events = [
        order_sent_with_voucher("alice", &d, other, 20_000),
        order_placed("alice", &d, other),
        order_cancelled("alice", &c, other),
        order_placed("alice", &c, other),
    ];
    send_all(&app, &events).await;
    send_all(&app, &events).await;

    let (first, second) = (
        read(&app, in_order["code"].as_str().unwrap(), "alice").await,
        read(&app, shuffled["code"].as_str().unwrap(), "alice").await,
    );
    assert_eq!(first["status"], "redeemed");
    assert_eq!(second["status"], first["status"]);
    assert_eq!(second["used_by_order_id"], d.as_str());
    assert_eq!(history(&second).len(), 4, "each entry once: {second}");
    // A spending order sent twice earns one voucher.
    assert_eq!(app.vouchers_for_order(&d).await.len(), 1);

    // A cancellation heard before its hold leaves the voucher free.
    let early = app.issue("alice").await;
    let early_id = early["id"].as_str().unwrap();
    let (e, _) = ids();
    send_all(
        &app,
        &[
            order_cancelled("alice", &e, early_id),
            order_placed("alice", &e, early_id),
        ],
    )
    .await;
    assert_eq!(
        read(&app, early["code"].as_str().unwrap(), "alice").await["status"],
        "active"
    );
}

#[tokio::test]
async fn an_event_about_another_customers_or_an_unknown_voucher_is_dead_lettered_and_changes_nothing() {
    let app = spawn_voucher_app().await;
    let bobs = app.issue("bob").await;
    let (a, _) = ids();
    send_all(
        &app,
        &[
            order_placed("alice", &a, bobs["id"].as_str().unwrap()),
            order_placed("alice", &a, &Uuid::now_v7().to_string()),
        ],
    )
    .await;
    let read_back = read(&app, bobs["code"].as_str().unwrap(), "bob").await;
    assert_eq!(read_back["status"], "active");
    assert!(history(&read_back).is_empty());
    let dead = app.dead_letters().await;
    assert_eq!(dead.len(), 2, "{dead:?}");
    assert!(
        dead.iter().all(|(_, reason)| reason.contains("is not known here")),
        "{dead:?}"
    );
}

#[tokio::test]
async fn the_earning_rule_reads_what_the_customer_paid() {
    let app = spawn_voucher_app().await;
    let spent = app.issue("alice").await;
    let id = spent["id"].as_str().unwrap();
    let (cheap, dear) = ids();
    // 104.00 EUR with a 5.00 EUR voucher pays 99.00: nothing earned.
    // 120.00 EUR with one pays 115.00: a new voucher.
    send_all(
        &app,
        &[
            order_sent_with_voucher("alice", &cheap, id, 10_400),
            order_sent_with_voucher("alice", &dear, id, 12_000),
        ],
    )
    .await;
    assert!(app.vouchers_for_order(&cheap).await.is_empty());
    assert_eq!(app.vouchers_for_order(&dear).await.len(), 1);
    // Without a voucher, 104.00 EUR earns one, as always.
    let plain = order_sent("alice", 10_400);
    send_all(&app, std::slice::from_ref(&plain)).await;
    assert_eq!(
        app.vouchers_for_order(plain["order_id"].as_str().unwrap()).await.len(),
        1
    );
}

#[tokio::test]
async fn a_free_voucher_past_its_expiry_is_expired_and_a_held_one_stays_with_its_order() {
    let app = spawn_voucher_app_with(checkout_testing::unique_name("order.sent"), |s| s.validity_seconds = 1).await;
    let free = app.issue("alice").await;
    let held = app.issue("alice").await;
    let (a, _) = ids();
    send_all(&app, &[order_placed("alice", &a, held["id"].as_str().unwrap())]).await;
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    assert_eq!(
        read(&app, free["code"].as_str().unwrap(), "alice").await["status"],
        "expired"
    );
    let still = read(&app, held["code"].as_str().unwrap(), "alice").await;
    assert_eq!(
        (&still["status"], &still["used_by_order_id"]),
        (&"reserved".into(), &a.as_str().into())
    );
}
