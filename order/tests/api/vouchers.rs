//! The order service's copy of the vouchers: what it keeps of `voucher.issued`, and what it
//! refuses to keep.

use std::time::Duration;

use checkout_domain::VoucherCode;

use crate::helpers::{TestApp, eventually, spawn_app, voucher_issued};

async fn known(app: &TestApp, id: &str) -> i64 {
    app.count(&format!("SELECT count(*) FROM vouchers WHERE id = '{id}'"))
        .await
}

async fn wait_known(app: &TestApp, id: &str) -> bool {
    eventually(Duration::from_secs(5), || async {
        (known(app, id).await == 1).then_some(())
    })
    .await
    .is_some()
}

#[tokio::test]
async fn an_announced_voucher_is_kept_once_by_its_digest_never_its_code() {
    let app = spawn_app().await;
    let code = VoucherCode::generate();
    let event = voucher_issued(code.as_str(), "alice", 500, chrono::Duration::days(90));
    let id = event["voucher_id"].as_str().unwrap().to_owned();
    app.announce(&event).await;
    assert!(wait_known(&app, &id).await, "the voucher reaches the copy");
    // The same announcement again (a re-publish), and once more by another replica's
    // relay: still one voucher, unchanged.
    app.announce(&event).await;
    app.announce(&event).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.count("SELECT count(*) FROM vouchers").await, 1);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM vouchers WHERE id = '{id}' AND code_digest = '{}' AND customer_id = 'alice' \
             AND amount_cents = 500 AND held_by IS NULL AND NOT redeemed",
            code.digest()
        ))
        .await,
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM vouchers WHERE code_digest LIKE '%{}%'",
            code.as_str()
        ))
        .await,
        0,
        "the code itself is nowhere"
    );
    assert!(app.voucher_dead_letters().await.is_empty());
}

#[tokio::test]
async fn a_voucher_not_signed_by_the_voucher_service_or_breaking_a_rule_is_dead_lettered_and_not_kept() {
    let app = spawn_app().await;
    let forged = voucher_issued(
        VoucherCode::generate().as_str(),
        "mallory",
        50_000,
        chrono::Duration::days(90),
    );
    // Sealed with the order service's own key: valid, but not the voucher service's.
    app.announce_raw(&checkout_testing::event_keys().seal(&forged.to_string()))
        .await;
    app.announce_raw(&forged.to_string()).await;
    let mut worthless = voucher_issued(
        VoucherCode::generate().as_str(),
        "alice",
        500,
        chrono::Duration::days(90),
    );
    worthless["amount_cents"] = 0.into();
    app.announce(&worthless).await;
    app.announce(&serde_json::json!({"event_type": "voucher.issued", "schema_version": 1}))
        .await;
    let good = voucher_issued(
        VoucherCode::generate().as_str(),
        "alice",
        500,
        chrono::Duration::days(90),
    );
    app.announce(&good).await;
    assert!(
        wait_known(&app, good["voucher_id"].as_str().unwrap()).await,
        "a good one after the bad ones"
    );

    let dead = eventually(Duration::from_secs(5), || async {
        let dead = app.voucher_dead_letters().await;
        (dead.len() == 4).then_some(dead)
    })
    .await
    .expect("four dead letters");
    let reasons: Vec<_> = dead.iter().map(|(_, reason)| reason.as_str()).collect();
    assert_eq!(&reasons[..2], ["bad_signature", "bad_signature"], "{reasons:?}");
    assert!(reasons[2].contains("amount_cents"), "{reasons:?}");
    assert!(reasons[3].contains("malformed"), "{reasons:?}");
    assert_eq!(app.count("SELECT count(*) FROM vouchers").await, 1, "only the good one");
}
