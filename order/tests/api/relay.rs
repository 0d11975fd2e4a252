use std::time::Duration;

use crate::helpers::{eventually, spawn_app, spawn_app_with};

#[tokio::test]
async fn a_sent_order_is_published_with_the_contract_fields_and_marked_once_acknowledged() {
    let app = spawn_app_with(|s| s.relay_ack_timeout_ms = 60_000).await;
    let mut events = app.subscribe().await;
    let order = app.create_order("cust-9", &[(2, 6_000)]).await;
    let id = order["id"].as_str().unwrap();
    assert_eq!(app.patch_status(id, "sent").await.status(), 200);

    let event = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .expect("event within 5 s")
        .unwrap();
    assert_eq!(event["event_type"], "order.sent");
    assert_eq!(event["schema_version"], 1);
    assert_eq!(event["order_id"], order["id"]);
    assert_eq!(event["customer_id"], "cust-9");
    assert_eq!(event["total_cents"], 12_000);
    assert_eq!(event["currency"], "EUR");
    assert!(event["occurred_at"].is_string());
    let event_id = event["event_id"].as_str().unwrap();

    // Heard by a subscriber is not delivered: only the consumer's acknowledgement is.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!app.delivered(event_id).await, "marked before any acknowledgement");
    app.publish_ack("not an acknowledgement").await;
    app.acknowledge(event_id).await;
    let published = eventually(Duration::from_secs(5), || async {
        app.delivered(event_id).await.then_some(())
    })
    .await;
    assert!(published.is_some(), "the outbox row is marked once acknowledged");
}

#[tokio::test]
async fn an_event_heard_but_never_acknowledged_is_published_again_until_it_is() {
    let app = spawn_app_with(|s| s.relay_ack_timeout_ms = 200).await;
    let mut events = app.subscribe().await;
    let order = app.create_order("crashy", &[(1, 15_000)]).await;
    assert_eq!(
        app.patch_status(order["id"].as_str().unwrap(), "sent").await.status(),
        200
    );

    // The first copy is "lost" by its consumer (no acknowledgement): it comes again.
    let mut copies = Vec::new();
    for _ in 0..2 {
        let event = tokio::time::timeout(Duration::from_secs(5), events.recv())
            .await
            .expect("the unacknowledged event is published again")
            .unwrap();
        copies.push(event["event_id"].as_str().unwrap().to_owned());
    }
    assert_eq!(copies[0], copies[1], "the same event, not a new one");
    let event_id = &copies[0];
    app.acknowledge(event_id).await;
    let published = eventually(Duration::from_secs(5), || async {
        app.delivered(event_id).await.then_some(())
    })
    .await;
    assert!(published.is_some());

    // Acknowledged: no more copies (the back-off doubles from 200 ms, so wait a few rounds).
    while let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(200), events.recv()).await {}
    let late = tokio::time::timeout(Duration::from_millis(1_500), events.recv()).await;
    assert!(late.is_err(), "an acknowledged event was published again: {late:?}");
}

#[tokio::test]
async fn an_event_nobody_received_stays_pending_and_is_delivered_once_a_consumer_listens() {
    let app = spawn_app().await;
    let order = app.create_order("late", &[(1, 15_000)]).await;
    let id = order["id"].as_str().unwrap();
    assert_eq!(app.patch_status(id, "sent").await.status(), 200);

    let retried = eventually(Duration::from_secs(5), || async {
        let n = app
            .count("SELECT count(*) FROM outbox WHERE attempts >= 2 AND published_at IS NULL")
            .await;
        (n == 1).then_some(())
    })
    .await;
    assert!(
        retried.is_some(),
        "the relay keeps retrying an event with no subscriber"
    );

    let mut events = app.subscribe().await;
    let event = tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .expect("the pending event arrives once someone subscribes")
        .unwrap();
    assert_eq!(event["order_id"], order["id"]);
    let event_id = event["event_id"].as_str().unwrap();
    app.acknowledge(event_id).await;
    let published = eventually(Duration::from_secs(5), || async {
        app.delivered(event_id).await.then_some(())
    })
    .await;
    assert!(published.is_some());
}

#[tokio::test]
async fn the_event_carries_the_request_id_and_trace_of_the_patch() {
    let app = spawn_app().await;
    let mut events = app.subscribe().await;
    let order = app.create_order("traced", &[(1, 15_000)]).await;
    let id = order["id"].as_str().unwrap();
    let response = app
        .client
        .patch(app.url(&format!("/orders/{id}/status")))
        .header("x-request-id", "req-abc-123")
        .header("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        .json(&serde_json::json!({"status": "sent"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let event = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(event["request_id"], "req-abc-123");
    let traceparent = event["traceparent"].as_str().unwrap();
    assert!(
        traceparent.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"),
        "{traceparent}"
    );
}

#[tokio::test]
async fn a_claim_takes_at_most_its_limit_and_hides_what_it_took() {
    use checkout_db::outbox::SeaOrmOutbox;
    use checkout_outbox::{OutboxRepository, RetryPolicy};
    let app = spawn_app().await;
    // 250 events, made due at once: claims below race with the app's own relay, as two
    // instances would.
    app.count(
        "WITH rows AS (INSERT INTO outbox (id, aggregate_id, event_type, payload, created_at, next_attempt_at) \
         SELECT gen_random_uuid(), gen_random_uuid(), 'order.sent', jsonb_build_object('event_id', gen_random_uuid(), \
         'event_type', 'order.sent', 'schema_version', 1, 'occurred_at', now(), 'order_id', gen_random_uuid(), \
         'customer_id', 'c', 'total_cents', 20000, 'currency', 'EUR'), now(), now() + interval '1 hour' \
         FROM generate_series(1, 250) RETURNING 1) SELECT count(*) FROM rows",
    )
    .await;
    app.count("WITH due AS (UPDATE outbox SET next_attempt_at = now() - interval '1 second' RETURNING 1) SELECT count(*) FROM due")
        .await;
    let outbox = SeaOrmOutbox::new(app.db.clone());
    let mut claimed = 0;
    loop {
        let batch = outbox
            .claim_due(100, RetryPolicy::fixed(Duration::from_secs(60)))
            .await
            .unwrap();
        assert!(batch.len() <= 100, "claimed {} rows with a limit of 100", batch.len());
        if batch.is_empty() {
            break;
        }
        claimed += batch.len();
    }
    // The app's own relay may have taken some; together nothing was claimed twice. A claim of
    // the relay still in flight was skipped (SKIP LOCKED) by the loop above: wait for it.
    let all_taken = eventually(Duration::from_secs(5), || async {
        (app.count("SELECT count(*) FROM outbox WHERE attempts >= 1").await == 250).then_some(())
    })
    .await;
    assert!(all_taken.is_some(), "not every event was claimed");
    assert!(claimed <= 250);
}

#[tokio::test]
async fn housekeeping_purges_old_published_events_and_expired_keys_only() {
    use std::sync::Arc;

    use checkout_db::outbox::SeaOrmOutbox;
    use order::{
        application::usecases::{PurgeExpired, Purged},
        infrastructure::repositories::SeaOrmOrderRepository,
    };
    let app = spawn_app().await;
    let event = |published: &str| {
        format!(
            "INSERT INTO outbox (id, aggregate_id, event_type, payload, created_at, published_at) \
             VALUES (gen_random_uuid(), gen_random_uuid(), 'order.sent', '{{}}', now(), {published})"
        )
    };
    for published in ["now() - interval '8 days'", "now() - interval '1 day'", "NULL"] {
        app.count(&format!(
            "WITH x AS ({} RETURNING 1) SELECT count(*) FROM x",
            event(published)
        ))
        .await;
    }
    app.count(
        "WITH x AS (INSERT INTO idempotency_keys (caller, key, fingerprint, order_snapshot, created_at, locked_until) VALUES \
         ('c', 'old', 'f', '{}', now() - interval '25 hours', now() - interval '25 hours'), \
         ('c', 'fresh', 'f', '{}', now() - interval '1 hour', now() - interval '1 hour') RETURNING 1) SELECT count(*) FROM x",
    )
    .await;
    let purge = PurgeExpired::new(
        Arc::new(SeaOrmOutbox::new(app.db.clone())),
        Arc::new(SeaOrmOrderRepository::new(app.db.clone(), 1)),
        Duration::from_secs(7 * 24 * 3600),
    );
    assert_eq!(
        purge.run_once().await.unwrap(),
        Purged {
            outbox_events: 1,
            idempotency_keys: 1
        }
    );
    assert_eq!(app.outbox_rows().await, 2, "recent and unpublished events stay");
    assert_eq!(
        app.count("SELECT count(*) FROM idempotency_keys WHERE key = 'fresh'")
            .await,
        1
    );
}
