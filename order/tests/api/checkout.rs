//! Spending a voucher at checkout: the discount, the hold, each refusal, and the voucher
//! following its order through the lifecycle.

use std::time::Duration;

use checkout_domain::VoucherCode;
use checkout_testing::assert_problem;
use serde_json::{Value, json};

use crate::helpers::{TestApp, eventually, order_body, spawn_app, voucher_issued};

/// Announces a voucher of `cents` for `customer`, valid for `valid_for`, and waits until the
/// order service knows it; returns its code and id.
async fn voucher_for(app: &TestApp, customer: &str, cents: i64, valid_for: chrono::Duration) -> (String, String) {
    let code = VoucherCode::generate();
    let event = voucher_issued(code.as_str(), customer, cents, valid_for);
    let id = event["voucher_id"].as_str().unwrap().to_owned();
    app.announce(&event).await;
    let known = eventually(Duration::from_secs(5), || async {
        let n = app
            .count(&format!("SELECT count(*) FROM vouchers WHERE id = '{id}'"))
            .await;
        (n == 1).then_some(())
    })
    .await;
    assert!(known.is_some(), "the voucher reaches the order service");
    (code.as_str().to_owned(), id)
}

fn with_code(customer: &str, items: &[(i64, i64)], code: &str) -> Value {
    let mut body = order_body(customer, items);
    body["voucher_code"] = code.into();
    body
}

/// The order holding voucher `id`, and whether it is spent: `None` while it is free.
async fn hold_of(app: &TestApp, id: &str) -> Option<(String, bool)> {
    let rows = app
        .query(&format!(
            "SELECT held_by::text AS held_by, redeemed FROM vouchers WHERE id = '{id}'"
        ))
        .await;
    let row = &rows[0];
    row["held_by"]
        .as_str()
        .map(|o| (o.to_owned(), row["redeemed"].as_bool().unwrap()))
}

/// The payloads of the outbox events of `order` of `event_type`.
async fn events_of(app: &TestApp, order: &str, event_type: &str) -> Vec<Value> {
    app.query(&format!(
        "SELECT payload FROM outbox WHERE aggregate_id = '{order}' AND event_type = '{event_type}'"
    ))
    .await
    .into_iter()
    .map(|row| row["payload"].clone())
    .collect()
}

#[tokio::test]
async fn a_voucher_comes_off_the_subtotal_and_is_held_for_the_order_with_its_placed_event() {
    let app = spawn_app().await;
    let (code, voucher) = voucher_for(&app, "alice", 500, chrono::Duration::days(90)).await;
    // Dashes and case do not matter.
    let typed = code.to_lowercase().replace('-', "");
    let response = app.post_order(&with_code("alice", &[(1, 10_400)], &typed)).await;
    assert_eq!(response.status(), 201);
    let order: Value = response.json().await.unwrap();
    assert_eq!(
        (
            &order["subtotal_cents"],
            &order["discount_cents"],
            &order["total_cents"]
        ),
        (&json!(10_400), &json!(500), &json!(9_900))
    );
    assert_eq!(order["voucher_id"], voucher.as_str());
    let id = order["id"].as_str().unwrap();
    let read: Value = app.get(&format!("/orders/{id}")).await.json().await.unwrap();
    assert_eq!(read, order, "the order reads back as it was answered");
    assert_eq!(hold_of(&app, &voucher).await, Some((id.to_owned(), false)));
    let placed = events_of(&app, id, "order.placed").await;
    assert_eq!(placed.len(), 1);
    assert_eq!(placed[0]["voucher_id"], voucher.as_str());
    assert_eq!(
        (
            &placed[0]["subtotal_cents"],
            &placed[0]["discount_cents"],
            &placed[0]["total_cents"]
        ),
        (&json!(10_400), &json!(500), &json!(9_900))
    );

    // An order without a voucher has none, and no placed event.
    let plain = app.create_order("alice", &[(1, 10_400)]).await;
    assert_eq!(
        (&plain["discount_cents"], &plain["total_cents"], &plain["voucher_id"]),
        (&json!(0), &json!(10_400), &Value::Null)
    );
    assert!(
        events_of(&app, plain["id"].as_str().unwrap(), "order.placed")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn a_voucher_worth_more_than_the_order_makes_it_free_and_no_less() {
    let app = spawn_app().await;
    let (code, _) = voucher_for(&app, "alice", 500, chrono::Duration::days(90)).await;
    let order: Value = app
        .post_order(&with_code("alice", &[(1, 300)], &code))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&order["discount_cents"], &order["total_cents"]),
        (&json!(300), &json!(0))
    );
}

/// The problem a checkout with `code` gets, and that it stored nothing.
async fn refused(app: &TestApp, customer: &str, code: &str) -> Value {
    let (orders, events) = (app.order_rows().await, app.outbox_rows().await);
    let response = app.post_order(&with_code(customer, &[(1, 10_400)], code)).await;
    let problem = assert_problem(response, 422).await;
    assert_eq!(
        (app.order_rows().await, app.outbox_rows().await),
        (orders, events),
        "a refused checkout stores nothing: {problem}"
    );
    problem
}

#[tokio::test]
async fn each_refusal_has_its_own_problem_and_stores_nothing() {
    let app = spawn_app().await;
    let (code, voucher) = voucher_for(&app, "alice", 500, chrono::Duration::days(90)).await;

    let unknown = refused(&app, "alice", VoucherCode::generate().as_str()).await;
    assert_eq!(unknown["type"], "/problems/voucher-unknown");
    // Another customer's code: exactly the answer of an unknown code, whatever its state.
    let others = refused(&app, "bob", &code).await;
    assert_eq!(others, unknown, "no oracle: another customer's code reads as unknown");

    let first = app.post_order(&with_code("alice", &[(1, 10_400)], &code)).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let held = refused(&app, "alice", &code).await;
    assert_eq!(held["type"], "/problems/voucher-held");
    assert_eq!(refused(&app, "bob", &code).await, unknown);

    let id = first["id"].as_str().unwrap();
    assert_eq!(app.patch_status(id, "sent").await.status(), 200);
    assert_eq!(hold_of(&app, &voucher).await, Some((id.to_owned(), true)));
    assert_eq!(refused(&app, "alice", &code).await["type"], "/problems/voucher-used");
    assert_eq!(refused(&app, "bob", &code).await, unknown);

    let (short, _) = voucher_for(&app, "alice", 500, chrono::Duration::seconds(1)).await;
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(
        refused(&app, "alice", &short).await["type"],
        "/problems/voucher-expired"
    );
    assert_eq!(refused(&app, "bob", &short).await, unknown);
}

#[tokio::test]
async fn a_malformed_code_is_a_400_naming_the_field() {
    let app = spawn_app().await;
    let response = app.post_order(&with_code("alice", &[(1, 10_400)], "NOT-A-CODE")).await;
    let problem = assert_problem(response, 400).await;
    checkout_testing::assert_field_error(
        &problem,
        "voucher_code",
        "must be a voucher code: 16 characters of Crockford base32, e.g. 7K3M-QX9P-2HBD-W4RT",
    );
    assert_eq!(app.order_rows().await, 0);
}

#[tokio::test]
async fn of_fifty_concurrent_checkouts_with_one_code_exactly_one_is_created() {
    let app = spawn_app().await;
    let (code, voucher) = voucher_for(&app, "alice", 500, chrono::Duration::days(90)).await;
    let body = with_code("alice", &[(1, 10_400)], &code);
    // Half through the group-committed insert, half through keyed transactions.
    let requests = (0..50).map(|i| {
        let (app, body) = (&app, &body);
        async move {
            let response = if i % 2 == 0 {
                app.post_order(body).await
            } else {
                app.post_order_with_key(&format!("concurrent-{i}"), body).await
            };
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap();
            (status, body)
        }
    });
    let answers = futures_util::future::join_all(requests).await;
    let created: Vec<&Value> = answers.iter().filter(|(s, _)| *s == 201).map(|(_, b)| b).collect();
    assert_eq!(created.len(), 1, "{answers:?}");
    for (status, body) in &answers {
        assert!(
            *status == 201 || (*status == 422 && body["type"] == "/problems/voucher-held"),
            "{status} {body}"
        );
    }
    assert_eq!(app.order_rows().await, 1);
    let id = created[0]["id"].as_str().unwrap();
    assert_eq!(hold_of(&app, &voucher).await, Some((id.to_owned(), false)));
    assert_eq!(
        app.count("SELECT count(*) FROM outbox WHERE event_type = 'order.placed'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_cancelled_order_gives_its_voucher_back_and_a_sent_one_spends_it() {
    let app = spawn_app().await;
    let (code, voucher) = voucher_for(&app, "alice", 500, chrono::Duration::days(90)).await;
    let body = with_code("alice", &[(1, 10_400)], &code);
    let first: Value = app.post_order(&body).await.json().await.unwrap();
    let first = first["id"].as_str().unwrap();
    assert_eq!(app.patch_status(first, "cancelled").await.status(), 200);
    assert_eq!(hold_of(&app, &voucher).await, None, "given back");
    let cancelled = events_of(&app, first, "order.cancelled").await;
    assert_eq!(cancelled.len(), 1);
    assert_eq!(cancelled[0]["voucher_id"], voucher.as_str());

    let second = app.post_order(&body).await;
    assert_eq!(second.status(), 201, "usable again");
    let second: Value = second.json().await.unwrap();
    let second = second["id"].as_str().unwrap();
    assert_eq!(app.patch_status(second, "sent").await.status(), 200);
    assert_eq!(hold_of(&app, &voucher).await, Some((second.to_owned(), true)));
    let sent = events_of(&app, second, "order.sent").await;
    assert_eq!(
        (
            &sent[0]["voucher_id"],
            &sent[0]["subtotal_cents"],
            &sent[0]["discount_cents"],
            &sent[0]["total_cents"]
        ),
        (&json!(voucher), &json!(10_400), &json!(500), &json!(9_900)),
        "the earning rule reads total_cents, what the customer paid"
    );
    // Delivering a sent order changes nothing about its voucher.
    assert_eq!(app.patch_status(second, "delivered").await.status(), 200);
    assert_eq!(hold_of(&app, &voucher).await, Some((second.to_owned(), true)));
    // An order without a voucher is cancelled without an event.
    let plain = app.create_order("alice", &[(1, 100)]).await;
    let plain = plain["id"].as_str().unwrap();
    assert_eq!(app.patch_status(plain, "cancelled").await.status(), 200);
    assert!(events_of(&app, plain, "order.cancelled").await.is_empty());
}

#[tokio::test]
async fn an_expired_voucher_keeps_its_hold_for_the_order_that_took_it_in_time() {
    let app = spawn_app().await;
    let (code, voucher) = voucher_for(&app, "alice", 500, chrono::Duration::seconds(3)).await;
    let order: Value = app
        .post_order(&with_code("alice", &[(1, 10_400)], &code))
        .await
        .json()
        .await
        .unwrap();
    let id = order["id"].as_str().unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(app.patch_status(id, "sent").await.status(), 200);
    assert_eq!(hold_of(&app, &voucher).await, Some((id.to_owned(), true)));
}

#[tokio::test]
async fn a_retry_with_its_key_gets_the_first_order_and_holds_nothing_more() {
    let app = spawn_app().await;
    let (code, voucher) = voucher_for(&app, "alice", 500, chrono::Duration::days(90)).await;
    let body = with_code("alice", &[(1, 10_400)], &code);
    let first = app.post_order_with_key("retry-1", &body).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = app.post_order_with_key("retry-1", &body).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again, first);
    assert_eq!(app.order_rows().await, 1);
    let id = first["id"].as_str().unwrap();
    assert_eq!(hold_of(&app, &voucher).await, Some((id.to_owned(), false)));
    // The same key with another code is another body.
    let (other, _) = voucher_for(&app, "alice", 500, chrono::Duration::days(90)).await;
    let mismatch = app
        .post_order_with_key("retry-1", &with_code("alice", &[(1, 10_400)], &other))
        .await;
    assert_eq!(
        assert_problem(mismatch, 422).await["type"],
        "/problems/idempotency-key-reused"
    );
}
