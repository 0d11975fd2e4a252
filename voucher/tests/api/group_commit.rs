use std::{sync::Arc, time::Duration};

use checkout_domain::Cents;
use checkout_testing::{assert_grouped, hold_writes};
use chrono::Utc;
use sea_orm::ConnectionTrait;
use uuid::Uuid;
use voucher::{
    application::{
        domain::{Currency, CustomerId, Money, OrderId, Usage, UsageKind, Validity, Voucher, VoucherCode},
        events::voucher_issued,
        ports::{InsertOutcome, UsageOutcome, VoucherRepository},
    },
    infrastructure::repositories::SeaOrmVoucherRepository,
};

use crate::helpers::{order_sent, spawn_voucher_app};

fn voucher(code: VoucherCode, order_id: Uuid) -> Voucher {
    let value = Money::new(Cents::new(500).unwrap(), Currency::Eur);
    Voucher::issue(
        code,
        CustomerId::parse("cust").unwrap(),
        order_id,
        value,
        Utc::now(),
        Validity::default(),
    )
}

/// `voucher` stored with its event.
async fn insert(repo: &SeaOrmVoucherRepository, voucher: &Voucher) -> InsertOutcome {
    repo.insert(voucher, &voucher_issued(voucher, &Default::default()))
        .await
        .unwrap()
}

#[tokio::test]
async fn in_one_batch_a_taken_code_and_a_second_voucher_for_an_order_are_answered_row_by_row() {
    let app = spawn_voucher_app().await;
    let repo = Arc::new(SeaOrmVoucherRepository::new(app.db.clone(), 1));
    let taken = VoucherCode::generate();
    let first = voucher(taken.clone(), Uuid::now_v7());
    assert_eq!(insert(&repo, &first).await, InsertOutcome::Inserted);

    // Hold the table so that the inserts below queue behind the writer's first one and are
    // then written as one batch.
    let lock = hold_writes(&app.db, "vouchers").await;
    let shared_order = Uuid::now_v7();
    let mut vouchers: Vec<Voucher> = (0..12)
        .map(|_| voucher(VoucherCode::generate(), Uuid::now_v7()))
        .collect();
    vouchers[3] = voucher(taken, Uuid::now_v7());
    vouchers[5] = voucher(VoucherCode::generate(), first.order_id());
    vouchers[7] = voucher(VoucherCode::generate(), shared_order);
    vouchers[8] = voucher(VoucherCode::generate(), shared_order);
    let mut inserts = Vec::new();
    for v in vouchers {
        let repo = repo.clone();
        inserts.push(tokio::spawn(async move { insert(&repo, &v).await }));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    lock.commit().await.unwrap();

    let mut outcomes = Vec::new();
    for insert in inserts {
        outcomes.push(insert.await.unwrap());
    }
    let mut expected = vec![InsertOutcome::Inserted; 12];
    expected[3] = InsertOutcome::CodeTaken;
    expected[5] = InsertOutcome::OrderAlreadyHasVoucher;
    expected[8] = InsertOutcome::OrderAlreadyHasVoucher;
    assert_eq!(outcomes, expected);
    assert_eq!(app.voucher_rows().await, 10, "the first voucher and the 9 inserted");
    let announced = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT count(*) AS events, count(v.id) AS of_vouchers FROM outbox o \
             LEFT JOIN vouchers v ON v.id = o.aggregate_id AND o.payload->>'voucher_id' = v.id::text",
        ))
        .await
        .unwrap()
        .unwrap();
    let counts: (i64, i64) = (
        announced.try_get("", "events").unwrap(),
        announced.try_get("", "of_vouchers").unwrap(),
    );
    assert_eq!(
        counts,
        (10, 10),
        "each stored voucher has its one event, and no refused one has any"
    );
}

#[tokio::test]
async fn vouchers_of_events_processed_together_are_written_together() {
    let app = spawn_voucher_app().await;
    let events: Vec<_> = (0..60).map(|i| order_sent(&format!("cust-{i}"), 20_000)).collect();
    // Hold the table while the events arrive, so that the writer's first insert waits and
    // the vouchers of the events handled meanwhile queue up behind it: grouping then does
    // not depend on how fast the events came.
    let lock = hold_writes(&app.db, "vouchers").await;
    for event in &events {
        app.publish(&event.to_string()).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    lock.commit().await.unwrap();
    for event in &events {
        let issued = app
            .wait_for_vouchers(event["order_id"].as_str().unwrap(), Duration::from_secs(10))
            .await;
        assert_eq!(issued.len(), 1);
    }
    let metrics = app.admin("/metrics").await.text().await.unwrap();
    assert_grouped(&metrics, "voucher_insert", 60.0);
}

#[tokio::test]
async fn usages_recorded_together_are_answered_each_by_its_own_outcome() {
    let app = spawn_voucher_app().await;
    let repo = Arc::new(SeaOrmVoucherRepository::new(app.db.clone(), 1));
    let mine = voucher(VoucherCode::generate(), Uuid::now_v7());
    assert_eq!(insert(&repo, &mine).await, InsertOutcome::Inserted);
    let customer = mine.customer_id().clone();
    let stranger = CustomerId::parse("someone-else").unwrap();
    let usage = |kind, order: Uuid| Usage {
        kind,
        order_id: Some(OrderId::from_uuid(order)),
        at: Utc::now(),
    };
    let (first, second) = (Uuid::now_v7(), Uuid::now_v7());
    let already = usage(UsageKind::Reserved, first);
    assert_eq!(
        repo.record_usage(mine.id(), &customer, &already).await.unwrap(),
        UsageOutcome::Recorded
    );

    // Hold the history so that the usages below queue behind the writer's first one and are
    // then written as one batch.
    let lock = hold_writes(&app.db, "voucher_usages").await;
    let calls = vec![
        (mine.id(), customer.clone(), usage(UsageKind::Released, first)),
        (mine.id(), customer.clone(), already),
        (mine.id(), customer.clone(), usage(UsageKind::Reserved, second)),
        (mine.id(), customer.clone(), usage(UsageKind::Reserved, second)),
        (mine.id(), stranger, usage(UsageKind::Reserved, Uuid::now_v7())),
        (
            voucher::application::domain::VoucherId::generate(),
            customer.clone(),
            usage(UsageKind::Redeemed, second),
        ),
        (mine.id(), customer.clone(), usage(UsageKind::Redeemed, second)),
    ];
    let mut recorded = Vec::new();
    for (voucher, customer, usage) in calls {
        let repo = repo.clone();
        recorded.push(tokio::spawn(async move {
            repo.record_usage(voucher, &customer, &usage).await.unwrap()
        }));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    lock.commit().await.unwrap();

    let mut outcomes = Vec::new();
    for call in recorded {
        outcomes.push(call.await.unwrap());
    }
    use UsageOutcome::*;
    assert_eq!(
        outcomes,
        [
            Recorded,
            AlreadyRecorded,
            Recorded,
            AlreadyRecorded,
            UnknownVoucher,
            UnknownVoucher,
            Recorded
        ],
        "each usage its own outcome: a repeat in the batch or of a stored row is already recorded, \
         another customer's voucher and an unknown one are unknown"
    );
    let stored = repo.find_by_code(mine.code()).await.unwrap().unwrap();
    assert_eq!(
        stored.history().len(),
        4,
        "reserved and released by the first order, reserved and redeemed by the second"
    );
}
