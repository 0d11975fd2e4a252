use serde_json::Value;

use crate::helpers::{assert_problem, spawn_voucher_app};

#[tokio::test]
async fn a_voucher_is_found_by_its_code_in_any_case_and_with_or_without_hyphens() {
    let app = spawn_voucher_app().await;
    let voucher = app.issue("cust-1").await;
    let code = voucher["code"].as_str().unwrap();
    assert_eq!(code.len(), 19);
    for variant in [code.to_owned(), code.to_lowercase(), code.replace('-', "")] {
        let found: Value = app.get(&format!("/vouchers/{variant}")).await.json().await.unwrap();
        assert_eq!(found, voucher);
    }
}

#[tokio::test]
async fn unknown_and_malformed_codes_get_json_errors() {
    let app = spawn_voucher_app().await;
    assert_problem(app.get("/vouchers/0000-0000-0000-0000").await, 404).await;
    assert_problem(app.get("/vouchers/not-a-code").await, 400).await;
    assert_problem(app.get("/vouchers/!!").await, 400).await;
}

#[tokio::test]
async fn vouchers_are_listed_by_customer_and_by_order() {
    let app = spawn_voucher_app().await;
    let a = app.issue("lister").await;
    let b = app.issue("lister").await;
    app.issue("someone-else").await;
    let listed: Value = app.get("/vouchers?customer_id=lister").await.json().await.unwrap();
    let ids: Vec<_> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].clone())
        .collect();
    assert_eq!(ids, [b["id"].clone(), a["id"].clone()]);
    let by_order = app.vouchers_for_order(a["order_id"].as_str().unwrap()).await;
    assert_eq!(by_order, [a]);
}

#[tokio::test]
async fn listing_needs_a_valid_filter() {
    let app = spawn_voucher_app().await;
    assert_problem(app.get("/vouchers").await, 400).await;
    assert_problem(app.get("/vouchers?order_id=nope").await, 400).await;
    assert_problem(app.get("/vouchers?customer_id=c&limit=0").await, 400).await;
    assert_problem(app.get("/vouchers?customer_id=c&limit=101").await, 400).await;
    assert_problem(app.get("/vouchers?customer_id=%00").await, 400).await;
}

#[tokio::test]
async fn health_ready_openapi_and_docs_are_served() {
    let app = spawn_voucher_app().await;
    assert_eq!(app.admin("/health").await.status(), 200);
    let ready: Value = app.admin("/ready").await.json().await.unwrap();
    assert_eq!(ready["status"], "ready");
    let spec: Value = app.get("/openapi.json").await.json().await.unwrap();
    assert!(
        spec["paths"]["/vouchers/{code}/redeem"].is_null(),
        "a voucher is redeemed only through an order"
    );
    let list_params = spec["paths"]["/vouchers"]["get"]["parameters"].as_array().unwrap();
    let customer = list_params.iter().find(|p| p["name"] == "customer_id").unwrap();
    assert_eq!(customer["schema"]["pattern"], checkout_domain::TEXT_PATTERN);
    assert_eq!(app.get("/docs").await.status(), 200);
}

#[tokio::test]
async fn the_migrated_schema_states_the_domain_limits() {
    use checkout_domain::MAX_TEXT_CHARS;
    use sea_orm::{ConnectionTrait, Statement};
    use voucher::application::domain::{UsageKind, VOUCHER_CODE_LEN};

    let app = spawn_voucher_app().await;
    let length_of = |column: &'static str| {
        let db = app.db.clone();
        async move {
            let sql = format!(
                "SELECT character_maximum_length::bigint FROM information_schema.columns \
                 WHERE table_name = 'vouchers' AND column_name = '{column}'"
            );
            let row = db
                .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
                .await
                .unwrap()
                .unwrap();
            row.try_get_by_index::<i64>(0).unwrap()
        }
    };
    assert_eq!(length_of("code").await, VOUCHER_CODE_LEN as i64);
    assert_eq!(length_of("customer_id").await, MAX_TEXT_CHARS as i64);
    // The history's CHECK names each of the domain's usage kinds.
    let names_every_status = UsageKind::ALL
        .map(|s| format!("pg_get_constraintdef(oid) LIKE '%''{}''%'", s.as_str()))
        .join(" AND ");
    let sql = format!(
        "SELECT count(*) FROM pg_constraint WHERE conrelid = 'voucher_usages'::regclass AND contype = 'c' \
         AND pg_get_constraintdef(oid) LIKE '%kind%' AND {names_every_status}"
    );
    let row = app
        .db
        .query_one_raw(Statement::from_string(app.db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.try_get_by_index::<i64>(0).unwrap(),
        1,
        "the kind CHECK names every usage kind"
    );
}
