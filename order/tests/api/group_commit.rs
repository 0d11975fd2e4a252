use checkout_contract::events::OrderEvent;
use std::{sync::Arc, time::Duration};

use chrono::Utc;
use order::{
    application::{
        domain::{
            Currency, CustomerId, Order, OrderId, OrderItem, OrderStatus, ProductName, Quantity, Sku, Transition,
            UnitPrice,
        },
        ports::{CreateOutcome, OrderRepository},
    },
    infrastructure::repositories::SeaOrmOrderRepository,
};

use checkout_testing::{assert_grouped, hold_writes};

use crate::helpers::{order_body, spawn_app};

fn new_order(id: OrderId, customer: &str) -> Order {
    let item = OrderItem {
        sku: Sku::parse("BOOK").unwrap(),
        name: ProductName::parse("Book").unwrap(),
        quantity: Quantity::new(1).unwrap(),
        unit_price: UnitPrice::new(2_500).unwrap(),
    };
    Order::new(
        id,
        CustomerId::parse(customer).unwrap(),
        vec![item],
        Currency::Eur,
        Utc::now(),
    )
    .unwrap()
}

#[tokio::test]
async fn concurrent_creations_are_written_together_and_each_gets_its_order() {
    let app = spawn_app().await;
    let requests = (0..64).map(|i| {
        let app = &app;
        async move {
            let response = app
                .post_order(&order_body(&format!("cust-{i}"), &[(1, 1_000 + i)]))
                .await;
            assert_eq!(response.status(), 201);
            let order: serde_json::Value = response.json().await.unwrap();
            (
                order["customer_id"].as_str().unwrap().to_owned(),
                order["total_cents"].as_i64().unwrap(),
            )
        }
    });
    let created = futures_util::future::join_all(requests).await;
    for (i, (customer, total)) in created.iter().enumerate() {
        assert_eq!(
            (customer.as_str(), *total),
            (format!("cust-{i}").as_str(), 1_000 + i as i64)
        );
    }
    assert_eq!(app.order_rows().await, 64);

    let metrics = app.admin("/metrics").await.text().await.unwrap();
    let written = assert_grouped(&metrics, "order_insert", 64.0);
    assert_eq!(written, 64.0, "every creation went through the writers, once");
}

#[tokio::test]
async fn a_bad_row_fails_alone_and_its_batch_is_still_written() {
    let app = spawn_app().await;
    let repo = Arc::new(SeaOrmOrderRepository::new(app.db.clone(), 1));
    let taken = OrderId::generate();
    assert_eq!(
        repo.create(&new_order(taken, "first"), None, None).await.unwrap(),
        CreateOutcome::Created
    );

    // Hold the table, so that the creations below queue up behind the writer's first one and
    // are then written as one batch, which holds a row whose id is taken.
    let lock = hold_writes(&app.db, "orders").await;
    let mut creations = Vec::new();
    for i in 0..20 {
        let repo = repo.clone();
        let id = if i == 10 { taken } else { OrderId::generate() };
        creations.push(tokio::spawn(async move {
            repo.create(&new_order(id, &format!("c-{i}")), None, None).await
        }));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    lock.commit().await.unwrap();

    let mut failed = Vec::new();
    for (i, creation) in creations.into_iter().enumerate() {
        match creation.await.unwrap() {
            Ok(outcome) => assert_eq!(outcome, CreateOutcome::Created),
            Err(_) => failed.push(i),
        }
    }
    assert_eq!(failed, [10], "only the row with the taken id fails");
    assert_eq!(app.order_rows().await, 20, "the first order and the 19 good ones");
}

#[tokio::test]
async fn concurrent_status_changes_are_written_together_each_with_its_event() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for i in 0..40 {
        let order = app.create_order(&format!("cust-{i}"), &[(1, 20_000)]).await;
        ids.push(order["id"].as_str().unwrap().to_owned());
    }
    // Every order twice at once: both requests succeed, one of them changes it.
    let patches = ids.iter().chain(ids.iter()).map(|id| app.patch_status(id, "sent"));
    for response in futures_util::future::join_all(patches).await {
        assert_eq!(response.status(), 200);
    }
    assert_eq!(app.count("SELECT count(*) FROM orders WHERE status = 'sent'").await, 40);
    assert_eq!(app.outbox_rows().await, 40, "one event per order, none twice");

    let metrics = app.admin("/metrics").await.text().await.unwrap();
    // A second request that reads the order already sent writes nothing.
    assert_grouped(&metrics, "order_status_change", 40.0);
}

#[tokio::test]
async fn a_status_change_whose_event_cannot_be_stored_fails_alone() {
    let app = spawn_app().await;
    let repo = Arc::new(SeaOrmOrderRepository::new(app.db.clone(), 1));
    let mut orders = Vec::new();
    for i in 0..10 {
        let order = new_order(OrderId::generate(), &format!("c-{i}"));
        repo.create(&order, None, None).await.unwrap();
        orders.push(order);
    }
    let mut changes = Vec::new();
    for order in &mut orders {
        let Transition::Changed { from, event } = order.transition(OrderStatus::Sent, Utc::now()).unwrap() else {
            panic!("created -> sent is a change");
        };
        changes.push((order.clone(), from, event.unwrap()));
    }
    // The fifth change's event reuses the first one's id: its outbox insert must fail.
    let reused = changes[0].2.event_id();
    let OrderEvent::Sent(fifth) = &mut changes[4].2 else {
        panic!("sending emits order.sent")
    };
    fifth.event_id = reused;
    let first = changes.remove(0);
    assert!(repo.save_transition(&first.0, first.1, Some(&first.2)).await.unwrap());

    let lock = hold_writes(&app.db, "orders").await;
    let mut saves = Vec::new();
    for (order, from, event) in changes {
        let repo = repo.clone();
        saves.push(tokio::spawn(async move {
            repo.save_transition(&order, from, Some(&event)).await
        }));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    lock.commit().await.unwrap();

    let results: Vec<_> = futures_util::future::join_all(saves)
        .await
        .into_iter()
        .map(|r| r.unwrap().map_err(|_| ()))
        .collect();
    let expected: Vec<Result<bool, ()>> = (1..10).map(|i| if i == 4 { Err(()) } else { Ok(true) }).collect();
    assert_eq!(results, expected, "only the change with the reused event id fails");
    assert_eq!(app.count("SELECT count(*) FROM orders WHERE status = 'sent'").await, 9);
    assert_eq!(
        app.outbox_rows().await,
        9,
        "no event without its change, none for the failed one"
    );
}
