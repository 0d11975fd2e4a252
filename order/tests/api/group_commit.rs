use std::{sync::Arc, time::Duration};

use chrono::Utc;
use order::{
    application::{
        domain::{Currency, CustomerId, Order, OrderId, OrderItem, Quantity, Sku, UnitPrice},
        ports::{CreateOutcome, OrderRepository},
    },
    infrastructure::repositories::SeaOrmOrderRepository,
};
use sea_orm::{ConnectionTrait, TransactionTrait};

use crate::helpers::{order_body, spawn_app};

fn new_order(id: OrderId, customer: &str) -> Order {
    let item = OrderItem {
        sku: Sku::parse("BOOK").unwrap(),
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
    let value = |name: &str| -> f64 {
        metrics
            .lines()
            .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} in /metrics:\n{metrics}"))
    };
    let (batches, rows) = (
        value("order_insert_batch_size_count"),
        value("order_insert_batch_size_sum"),
    );
    assert_eq!(rows, 64.0, "every creation went through the writers");
    assert!(
        batches < 64.0,
        "{batches} statements for 64 concurrent creations: nothing was grouped"
    );
}

#[tokio::test]
async fn a_bad_row_fails_alone_and_its_batch_is_still_written() {
    let app = spawn_app().await;
    let repo = Arc::new(SeaOrmOrderRepository::new(app.db.clone(), 1));
    let taken = OrderId::generate();
    assert_eq!(
        repo.create(&new_order(taken, "first"), None).await.unwrap(),
        CreateOutcome::Created
    );

    // Hold the table, so that the creations below queue up behind the writer's first one and
    // are then written as one batch, which holds a row whose id is taken.
    let lock = app.db.begin().await.unwrap();
    lock.execute_unprepared("LOCK TABLE orders IN EXCLUSIVE MODE")
        .await
        .unwrap();
    let mut creations = Vec::new();
    for i in 0..20 {
        let repo = repo.clone();
        let id = if i == 10 { taken } else { OrderId::generate() };
        creations.push(tokio::spawn(async move {
            repo.create(&new_order(id, &format!("c-{i}")), None).await
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
