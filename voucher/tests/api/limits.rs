//! Rate limits per caller on the voucher lookups.

use serde_json::Value;

use crate::helpers::{assert_problem, spawn_voucher_app_with};

#[tokio::test]
async fn voucher_lookups_over_the_limit_get_429_and_the_document_says_so() {
    let app = spawn_voucher_app_with(checkout_testing::unique_name("order.sent"), |settings| {
        let limits = &mut settings.http_limits;
        limits.rate_limit_lookups_per_sec = 1;
        limits.rate_limit_lookups_burst = 2;
    })
    .await;
    let code = "/vouchers/0000-0000-0000-0000";
    assert_problem(app.get(code).await, 404).await;
    assert_eq!(app.get("/vouchers?customer_id=alice").await.status(), 200);
    let refused = app.get(code).await;
    assert!(refused.headers().contains_key("retry-after"));
    let problem: Value = assert_problem(refused, 429).await;
    assert_eq!(problem["type"], "/problems/rate-limited");
    assert_problem(app.get("/vouchers?customer_id=alice").await, 429).await;

    let spec: Value = app.get("/openapi.json").await.json().await.unwrap();
    for (path, method) in [("/vouchers", "get"), ("/vouchers/{code}", "get")] {
        assert!(
            spec["paths"][path][method]["responses"]["429"].is_object(),
            "{method} {path}"
        );
    }
}
