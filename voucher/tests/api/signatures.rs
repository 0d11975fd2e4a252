//! Only the order service's events count: unsigned, forged, altered and unknown-key events
//! interleaved with real ones issue nothing and are dead-lettered as `bad_signature`.

use std::time::Duration;

use checkout_bus::Transport;
use checkout_testing::EventKeys;
use serde_json::{Value, json};

use crate::helpers::{VoucherApp, order_sent, sealed, spawn_voucher_app_with};

/// Every way an attacker with write access to Redis could try, for an eligible order of
/// their own making: no seal, a key the service does not trust, that key under the trusted
/// key's id, and a real event with its payload changed.
fn bad_messages() -> Vec<(&'static str, String)> {
    let attacker = EventKeys::generate();
    let forged = order_sent("attacker", 99_999);
    let unknown_key = attacker.seal(&forged.to_string());
    let mut under_trusted_kid: Value = serde_json::from_str(&unknown_key).unwrap();
    let trusted: Value = serde_json::from_str(&sealed("{}")).unwrap();
    under_trusted_kid["kid"] = trusted["kid"].clone();
    let mut altered: Value = serde_json::from_str(&sealed(&order_sent("victim", 1_000).to_string())).unwrap();
    altered["payload"] = json!(forged.to_string());
    vec![
        ("unsigned", forged.to_string()),
        ("unknown key", unknown_key),
        ("forged under the trusted kid", under_trusted_kid.to_string()),
        ("altered payload", altered.to_string()),
    ]
}

async fn interleaved(transport: Transport) {
    let app = spawn_voucher_app_with(checkout_testing::unique_name("order.sent"), |s| {
        s.events.event_transport = transport;
    })
    .await;
    let bad = bad_messages();
    let mut real = Vec::new();
    for (_, message) in &bad {
        let event = order_sent("cust-1", 20_000);
        send(&app, transport, &sealed(&event.to_string())).await;
        send(&app, transport, message).await;
        real.push(event["order_id"].as_str().unwrap().to_owned());
    }
    for order_id in &real {
        let vouchers = app.wait_for_vouchers(order_id, Duration::from_secs(5)).await;
        assert_eq!(vouchers.len(), 1, "the real event of {order_id}");
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while app.dead_letters().await.len() < bad.len() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let dead = app.dead_letters().await;
    let expected: Vec<_> = bad
        .iter()
        .map(|(_, m)| (m.clone(), "bad_signature".to_owned()))
        .collect();
    assert_eq!(
        dead,
        expected,
        "{:?}",
        bad.iter().map(|(what, _)| what).collect::<Vec<_>>()
    );
    assert_eq!(
        app.voucher_rows().await,
        real.len() as i64,
        "only the real events issued vouchers"
    );
}

async fn send(app: &VoucherApp, transport: Transport, message: &str) {
    match transport {
        Transport::Streams => {
            app.xadd_raw(message).await;
        }
        Transport::PubSub => assert_eq!(app.publish_raw(message).await, 1),
    }
}

#[tokio::test]
async fn bad_events_interleaved_with_real_ones_issue_nothing_over_pubsub() {
    interleaved(Transport::PubSub).await;
}

#[tokio::test]
async fn bad_events_interleaved_with_real_ones_issue_nothing_over_streams() {
    interleaved(Transport::Streams).await;
}

#[tokio::test]
async fn a_flood_of_forged_events_keeps_only_the_newest_dead_letters() {
    let app = spawn_voucher_app_with(checkout_testing::unique_name("order.sent"), |s| {
        s.dead_letter_max_len = 3;
        // One at a time, so the dead letters are appended in the order sent.
        s.consumer_concurrency = 1;
    })
    .await;
    let flood: Vec<String> = (0..10)
        .map(|i| order_sent(&format!("attacker-{i}"), 99_999).to_string())
        .collect();
    for message in &flood {
        send(&app, Transport::PubSub, message).await;
    }
    let last = flood.last().unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !app.dead_letters().await.iter().any(|(m, _)| m == last) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the last forged event was not dead-lettered"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let kept: Vec<String> = app.dead_letters().await.into_iter().map(|(m, _)| m).collect();
    assert_eq!(kept, flood[7..].to_vec(), "the stream keeps the newest three");
    assert_eq!(app.voucher_rows().await, 0);
}
