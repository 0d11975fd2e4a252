//! `voucher.issued`: every voucher is announced once, on its stream, sealed with the voucher
//! service's own key, and the announcement lets the order service know the code without it.

use std::time::Duration;

use checkout_contract::events::{Event, VoucherIssued};
use checkout_domain::VoucherCode;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::helpers::{VoucherApp, order_sent, spawn_voucher_app, spawn_voucher_app_with};

/// Waits until the stream holds `count` announcements and returns them, opened with the
/// voucher service's key.
async fn announced(app: &VoucherApp, count: usize) -> Vec<VoucherIssued> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let sealed = app.announcements().await;
        if sealed.len() >= count || tokio::time::Instant::now() >= deadline {
            let keys = checkout_testing::voucher_event_keys().verifier();
            return sealed
                .iter()
                .map(|message| {
                    let payload = keys
                        .open(message.as_bytes())
                        .expect("sealed with the voucher service's key");
                    VoucherIssued::from_json(payload.as_bytes()).expect("a voucher.issued event")
                })
                .collect();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn unpublished(app: &VoucherApp) -> i64 {
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}

#[tokio::test]
async fn an_issued_voucher_is_announced_once_with_its_digest_expiry_and_owner() {
    let app = spawn_voucher_app().await;
    let event = order_sent("announced", 30_000);
    app.publish(&event.to_string()).await;
    let order_id = event["order_id"].as_str().unwrap();
    let vouchers = app.wait_for_vouchers(order_id, Duration::from_secs(5)).await;
    let [voucher] = &vouchers[..] else {
        panic!("one voucher")
    };
    // The same event again (a re-publish) issues and announces nothing more.
    app.publish(&event.to_string()).await;

    let [issued] = &announced(&app, 1).await[..] else {
        panic!("one announcement")
    };
    let code = VoucherCode::parse(voucher["code"].as_str().unwrap()).unwrap();
    assert_eq!(issued.code_digest, code.digest());
    assert_eq!(issued.voucher_id.to_string(), voucher["id"].as_str().unwrap());
    assert_eq!(issued.order_id.to_string(), order_id);
    assert_eq!(
        (
            issued.customer_id.as_str(),
            issued.amount_cents,
            issued.currency.as_str()
        ),
        ("announced", 500, "EUR")
    );
    let time = |field: &str| voucher[field].as_str().unwrap().parse::<DateTime<Utc>>().unwrap();
    assert_eq!(
        (issued.occurred_at, issued.expires_at),
        (time("issued_at"), time("expires_at"))
    );
    assert_eq!(issued.expires_at - issued.occurred_at, chrono::Duration::days(90));
    let message = &app.announcements().await[0];
    assert!(!message.contains(code.as_str()), "the code never travels");
    assert!(
        checkout_testing::event_keys()
            .verifier()
            .open(message.as_bytes())
            .is_err(),
        "signed by the voucher service's key, not the order service's"
    );

    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(announced(&app, 2).await.len(), 1, "announced once");
    assert_eq!(unpublished(&app).await, 0, "the outbox row is marked published");
}

#[tokio::test]
async fn the_validity_is_the_setting() {
    let app = spawn_voucher_app_with(checkout_testing::unique_name("order.sent"), |s| s.validity_seconds = 2).await;
    let event = order_sent("short-lived", 30_000);
    app.publish(&event.to_string()).await;
    let [issued] = &announced(&app, 1).await[..] else {
        panic!("one announcement")
    };
    assert_eq!(issued.expires_at - issued.occurred_at, chrono::Duration::seconds(2));
}
