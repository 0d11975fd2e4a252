//! The streams transport: consumer group, acknowledgements, recovery and dead letters.

use std::time::Duration;

use checkout_bus::Transport;
use redis::AsyncCommands;
use serde_json::json;

use crate::helpers::{VoucherApp, order_sent, sealed, spawn_voucher_app_with};

async fn spawn_streams_app(configure: impl FnOnce(&mut voucher::config::Settings)) -> VoucherApp {
    let stream = checkout_testing::unique_name("order.sent");
    spawn_voucher_app_with(stream, |s| {
        s.events.event_transport = Transport::Streams;
        configure(s);
    })
    .await
}

/// A connection to the test Redis, for arranging what earlier runs left behind.
async fn test_redis() -> redis::aio::MultiplexedConnection {
    checkout_testing::servers().redis.admin().await
}

/// Reads entries of `stream` as `consumer` of group `voucher` without acknowledging them, as a
/// consumer that dies right after reading would.
async fn read_as(redis: &mut redis::aio::MultiplexedConnection, stream: &str, consumer: &str, id: &str) {
    let options = redis::streams::StreamReadOptions::default().group("voucher", consumer);
    let _: redis::streams::StreamReadReply = redis.xread_options(&[stream], &[id], &options).await.unwrap();
}

async fn eventually(timeout: Duration, mut check: impl AsyncFnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test]
async fn an_entry_is_turned_into_a_voucher_and_acknowledged() {
    let app = spawn_streams_app(|_| {}).await;
    let event = order_sent("streamer", 30_000);
    app.xadd(&event.to_string()).await;
    let vouchers = app
        .wait_for_vouchers(event["order_id"].as_str().unwrap(), Duration::from_secs(2))
        .await;
    assert_eq!(vouchers.len(), 1);
    assert!(
        eventually(Duration::from_secs(2), async || app.pending().await == 0).await,
        "acknowledged"
    );
}

#[tokio::test]
async fn entries_appended_before_the_consumer_started_are_not_skipped() {
    let stream = checkout_testing::unique_name("order.sent");
    let mut redis = test_redis().await;
    let early = order_sent("early", 30_000);
    let _: String = redis
        .xadd(&stream, "*", &[("payload", sealed(&early.to_string()))])
        .await
        .unwrap();
    let app = spawn_voucher_app_with(stream, |s| s.events.event_transport = Transport::Streams).await;
    let vouchers = app
        .wait_for_vouchers(early["order_id"].as_str().unwrap(), Duration::from_secs(2))
        .await;
    assert_eq!(vouchers.len(), 1);
}

#[tokio::test]
async fn poison_entries_go_to_the_dead_letter_stream_and_later_ones_still_flow() {
    let app = spawn_streams_app(|_| {}).await;
    let mut newer = order_sent("poison", 50_000);
    newer["schema_version"] = json!(3);
    let mut wrong_type = order_sent("poison", 50_000);
    wrong_type["order_id"] = json!(42);
    for payload in ["{not json".to_owned(), newer.to_string(), wrong_type.to_string()] {
        app.xadd(&payload).await;
    }
    let good = order_sent("good", 50_000);
    app.xadd(&good.to_string()).await;
    assert_eq!(
        app.wait_for_vouchers(good["order_id"].as_str().unwrap(), Duration::from_secs(2))
            .await
            .len(),
        1
    );
    assert!(eventually(Duration::from_secs(2), async || app.dead_letters().await.len() == 3).await);
    let dead = app.dead_letters().await;
    assert_eq!(dead[0].0, sealed("{not json"));
    assert!(dead[1].1.contains("schema_version 3"), "{:?}", dead[1]);
    assert!(dead[2].1.contains("malformed"), "{:?}", dead[2]);
    assert!(
        eventually(Duration::from_secs(2), async || app.pending().await == 0).await,
        "all acknowledged"
    );
    assert_eq!(app.voucher_rows().await, 1);
}

#[tokio::test]
async fn entries_a_crashed_run_left_pending_are_processed_on_restart() {
    let stream = checkout_testing::unique_name("order.sent");
    let mut redis = test_redis().await;
    // A previous run under the same consumer name read two entries and died before acking.
    let _: () = redis.xgroup_create_mkstream(&stream, "voucher", "0").await.unwrap();
    let events = [order_sent("crash", 20_000), order_sent("crash", 20_000)];
    for event in &events {
        let _: String = redis
            .xadd(&stream, "*", &[("payload", sealed(&event.to_string()))])
            .await
            .unwrap();
    }
    read_as(&mut redis, &stream, "voucher-test", ">").await;
    let app = spawn_voucher_app_with(stream, |s| s.events.event_transport = Transport::Streams).await;
    for event in &events {
        let vouchers = app
            .wait_for_vouchers(event["order_id"].as_str().unwrap(), Duration::from_secs(2))
            .await;
        assert_eq!(vouchers.len(), 1);
    }
    assert!(eventually(Duration::from_secs(2), async || app.pending().await == 0).await);
}

#[tokio::test]
async fn entries_stuck_with_a_dead_consumer_are_claimed_after_the_idle_time() {
    let stream = checkout_testing::unique_name("order.sent");
    let mut redis = test_redis().await;
    let _: () = redis.xgroup_create_mkstream(&stream, "voucher", "0").await.unwrap();
    let event = order_sent("orphan", 20_000);
    let _: String = redis
        .xadd(&stream, "*", &[("payload", sealed(&event.to_string()))])
        .await
        .unwrap();
    read_as(&mut redis, &stream, "ghost", ">").await;
    let app = spawn_voucher_app_with(stream, |s| {
        s.events.event_transport = Transport::Streams;
        s.claim_idle_ms = 300;
    })
    .await;
    let vouchers = app
        .wait_for_vouchers(event["order_id"].as_str().unwrap(), Duration::from_secs(3))
        .await;
    assert_eq!(vouchers.len(), 1);
}

#[tokio::test]
async fn an_entry_delivered_too_often_is_dead_lettered_without_another_try() {
    let stream = checkout_testing::unique_name("order.sent");
    let mut redis = test_redis().await;
    let _: () = redis.xgroup_create_mkstream(&stream, "voucher", "0").await.unwrap();
    let event = order_sent("crash-loop", 20_000);
    let _: String = redis
        .xadd(&stream, "*", &[("payload", sealed(&event.to_string()))])
        .await
        .unwrap();
    // Five earlier runs each read it and died: it is what crashes the consumer.
    for id in [">", "0", "0", "0", "0"] {
        read_as(&mut redis, &stream, "voucher-test", id).await;
    }
    let app = spawn_voucher_app_with(stream, |s| s.events.event_transport = Transport::Streams).await;
    assert!(eventually(Duration::from_secs(2), async || app.dead_letters().await.len() == 1).await);
    assert!(app.dead_letters().await[0].1.contains("delivered"));
    assert!(
        app.vouchers_for_order(event["order_id"].as_str().unwrap())
            .await
            .is_empty()
    );
    assert_eq!(app.pending().await, 0);
}

#[tokio::test]
async fn poison_on_pubsub_goes_to_the_dead_letter_stream_too() {
    let app = crate::helpers::spawn_voucher_app().await;
    app.publish("definitely not an event").await;
    app.drain().await;
    let dead = app.dead_letters().await;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].0, sealed("definitely not an event"));
}

#[tokio::test]
async fn trimming_drops_acknowledged_entries_and_keeps_pending_ones() {
    use std::sync::Arc;

    use checkout_bus::consume::{RedisDeadLetters, RedisStreamConsumer};

    let stream = checkout_testing::unique_name("order.sent");
    let mut redis = test_redis().await;
    let endpoint =
        checkout_bus::RedisEndpoint::new(&checkout_testing::servers().redis.url("voucher"), None, None).unwrap();
    let conn = Arc::new(checkout_bus::LazyConnection::new(&endpoint).unwrap());
    let consumer = RedisStreamConsumer::new(
        &endpoint,
        stream.clone(),
        "voucher".into(),
        "trimmer".into(),
        Duration::from_secs(30),
        RedisDeadLetters::new(conn, checkout_bus::dead_letter_key(&stream), 100),
    )
    .unwrap();
    consumer.ensure_group().await.unwrap();
    for _ in 0..10 {
        let _: String = redis.xadd(&stream, "*", &[("payload", "{}")]).await.unwrap();
    }
    let entries = consumer.new_entries(10, Duration::from_millis(100)).await.unwrap();
    assert_eq!(entries.len(), 10);
    // The first six are processed; the last four are still in hand.
    let done: Vec<String> = entries[..6].iter().map(|e| e.id.clone()).collect();
    consumer.ack(&done).await.unwrap();
    consumer.trim_acknowledged().await.unwrap();
    let left: usize = redis.xlen(&stream).await.unwrap();
    assert_eq!(left, 4, "acknowledged entries are trimmed, pending ones stay");
    let pending = consumer.own_pending("0", 10).await.unwrap();
    assert_eq!(pending.len(), 4);
}
