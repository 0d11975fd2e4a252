use std::time::{Duration, Instant};

use checkout_testing::assert_invalid;
use order::infrastructure::repositories::SeaOrmOrderRepository;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde_json::Value;
use tokio::task::JoinHandle;

use crate::helpers::{TestApp, assert_problem, eventually, order_body, spawn_app};

#[tokio::test]
async fn the_same_key_and_body_replay_the_first_order() {
    let app = spawn_app().await;
    let body = order_body("idem", &[(1, 100)]);
    let first = app.post_order_with_key("key-1", &body).await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.unwrap();

    let again = app.post_order_with_key("key-1", &body).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(
        again.headers()["location"].to_str().unwrap(),
        format!("/orders/{}", first["id"].as_str().unwrap())
    );
    let again: Value = again.json().await.unwrap();
    assert_eq!(again, first);
    assert_eq!(app.order_rows().await, 1);
}

#[tokio::test]
async fn the_replay_is_the_first_response_even_after_the_order_changed() {
    let app = spawn_app().await;
    let body = order_body("idem", &[(1, 100)]);
    let first: Value = app.post_order_with_key("key-2", &body).await.json().await.unwrap();
    app.patch_status(first["id"].as_str().unwrap(), "cancelled").await;
    let again: Value = app.post_order_with_key("key-2", &body).await.json().await.unwrap();
    assert_eq!(again["status"], "created");
    assert_eq!(again, first);
}

#[tokio::test]
async fn the_same_key_with_another_body_is_a_422_and_creates_nothing() {
    let app = spawn_app().await;
    assert_eq!(
        app.post_order_with_key("key-3", &order_body("idem", &[(1, 100)]))
            .await
            .status(),
        201
    );
    let problem = assert_problem(
        app.post_order_with_key("key-3", &order_body("idem", &[(2, 100)])).await,
        422,
    )
    .await;
    assert!(problem["detail"].as_str().unwrap().contains("different request body"));
    assert_eq!(app.order_rows().await, 1);
}

/// A claim as versions before this one committed it, on its own before the order: no
/// snapshot, held until `locked_until`. Such rows can exist while a rolling upgrade runs.
async fn earlier_versions_claim(app: &TestApp, key: &str, locked_until: &str) {
    let fingerprint = r#"{"customer_id":"idem","currency":"EUR","items":[["P-100",1]]}"#;
    app.count(&format!(
        "WITH claimed AS (INSERT INTO idempotency_keys (caller, key, fingerprint, order_snapshot, created_at, locked_until) VALUES ('order-tests', '{key}', '{fingerprint}', NULL, now(), {locked_until}) RETURNING 1) SELECT count(*) FROM claimed"
    ))
    .await;
}

#[tokio::test]
async fn a_claim_an_earlier_version_holds_is_a_409_until_its_lease_ends() {
    let app = spawn_app().await;
    earlier_versions_claim(&app, "key-4", "now() + interval '1 minute'").await;
    let problem = assert_problem(
        app.post_order_with_key("key-4", &order_body("idem", &[(1, 100)])).await,
        409,
    )
    .await;
    assert!(problem["detail"].as_str().unwrap().contains("still being processed"));
    assert_eq!(app.order_rows().await, 0);
}

#[tokio::test]
async fn an_abandoned_claim_of_an_earlier_version_is_taken_over_after_its_lease() {
    let app = spawn_app().await;
    earlier_versions_claim(&app, "key-5", "now() - interval '1 second'").await;
    assert_eq!(
        app.post_order_with_key("key-5", &order_body("idem", &[(1, 100)]))
            .await
            .status(),
        201
    );
    assert_eq!(app.order_rows().await, 1);
}

#[tokio::test]
async fn concurrent_requests_with_one_key_create_one_order_and_replay_it_to_the_others() {
    let app = spawn_app().await;
    let body = order_body("idem", &[(1, 100)]);
    let requests = (0..20).map(|_| app.post_order_with_key("key-6", &body));
    let responses = futures_util::future::join_all(requests).await;
    let (mut ids, mut replays) = (std::collections::HashSet::new(), 0);
    for response in responses {
        assert_eq!(response.status(), 201, "no request is told to come back later");
        replays += usize::from(response.headers().get("idempotent-replayed").is_some());
        ids.insert(response.json::<Value>().await.unwrap()["id"].clone());
    }
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(replays, 19);
    assert_eq!(app.order_rows().await, 1);
}

#[tokio::test]
async fn a_request_cut_off_mid_transaction_leaves_its_key_free_at_once() {
    let app = spawn_app().await;
    let sessions = Sessions::of(&app).await;
    let gate = Gate::install(&app).await;
    let body = order_body("idem", &[(1, 100)]);
    let first = spawn_post(&app, "key-7", &body);
    let pid = sessions.at_gate().await;
    assert_eq!(
        app.count("SELECT count(*) FROM idempotency_keys").await,
        0,
        "a key is committed with its order or not at all"
    );
    // What PostgreSQL sees when the service's process is killed: the session ends.
    sessions.terminate(pid).await;
    let first = first.await.unwrap();
    assert!(first.status().is_server_error(), "{}", first.status());
    gate.set("pass").await;
    let retry = app.post_order_with_key("key-7", &body).await;
    assert_eq!(retry.status(), 201);
    assert!(retry.headers().get("idempotent-replayed").is_none());
    assert_eq!(app.order_rows().await, 1);
}

#[tokio::test]
async fn an_order_that_fails_to_store_leaves_its_key_free_at_once() {
    let app = spawn_app().await;
    let gate = Gate::install(&app).await;
    gate.set("fail").await;
    let body = order_body("idem", &[(1, 100)]);
    assert_problem(app.post_order_with_key("key-8", &body).await, 500).await;
    assert_eq!(app.count("SELECT count(*) FROM idempotency_keys").await, 0);
    gate.set("pass").await;
    let retry = app.post_order_with_key("key-8", &body).await;
    assert_eq!(retry.status(), 201);
    assert!(retry.headers().get("idempotent-replayed").is_none());
    assert_eq!(app.order_rows().await, 1);
}

#[tokio::test]
async fn a_duplicate_sent_while_the_first_is_stored_waits_for_it_and_replays_it() {
    let app = spawn_app().await;
    let sessions = Sessions::of(&app).await;
    let gate = Gate::install(&app).await;
    let body = order_body("idem", &[(1, 100)]);
    let first = spawn_post(&app, "key-9", &body);
    sessions.at_gate().await;
    let duplicate = spawn_post(&app, "key-9", &body);
    let other_body = spawn_post(&app, "key-9", &order_body("idem", &[(2, 100)]));
    sessions.waiting_for_a_key(2).await;
    gate.set("pass").await;
    let first = first.await.unwrap();
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let duplicate = duplicate.await.unwrap();
    assert_eq!(duplicate.status(), 201);
    assert_eq!(duplicate.headers()["idempotent-replayed"], "true");
    assert_eq!(
        duplicate.json::<Value>().await.unwrap(),
        first.json::<Value>().await.unwrap()
    );
    assert_problem(other_body.await.unwrap(), 422).await;
    assert_eq!(app.order_rows().await, 1);
}

#[tokio::test]
async fn a_duplicate_that_waited_out_the_key_wait_is_a_409_and_the_first_completes() {
    let app = spawn_app().await;
    let sessions = Sessions::of(&app).await;
    let gate = Gate::install(&app).await;
    let body = order_body("idem", &[(1, 100)]);
    let first = spawn_post(&app, "key-10", &body);
    sessions.at_gate().await;
    let started = Instant::now();
    let problem = assert_problem(app.post_order_with_key("key-10", &body).await, 409).await;
    assert_eq!(problem["type"], "/problems/idempotency-key-in-flight");
    assert!(
        started.elapsed() >= SeaOrmOrderRepository::KEY_WAIT,
        "{:?}",
        started.elapsed()
    );
    gate.set("pass").await;
    assert_eq!(first.await.unwrap().status(), 201);
    let retry = app.post_order_with_key("key-10", &body).await;
    assert_eq!(retry.status(), 201);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    assert_eq!(app.order_rows().await, 1);
}

#[tokio::test]
async fn a_malformed_key_is_a_400() {
    let app = spawn_app().await;
    let long = "k".repeat(256);
    let response = app.post_order_with_key(&long, &order_body("idem", &[(1, 100)])).await;
    assert_invalid(response, &[("Idempotency-Key", KEY_RULE)]).await;
    assert_eq!(app.order_rows().await, 0);
}

const KEY_RULE: &str = "must be 1 to 255 bytes";

#[tokio::test]
async fn a_key_that_is_not_ascii_is_honoured_not_ignored() {
    let app = spawn_app().await;
    let mut replayed = Vec::new();
    for _ in 0..2 {
        let response = app
            .client
            .post(app.url("/orders"))
            .header(
                "Idempotency-Key",
                reqwest::header::HeaderValue::from_bytes(b"caf\xe9").unwrap(),
            )
            .json(&order_body("idem", &[(1, 100)]))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        replayed.push(response.headers().get("Idempotent-Replayed").is_some());
    }
    assert_eq!(replayed, [false, true]);
    assert_eq!(app.order_rows().await, 1);
}

#[tokio::test]
async fn a_bad_key_and_a_bad_body_are_listed_together() {
    let app = spawn_app().await;
    let response = app
        .post_order_with_key(&"k".repeat(256), &serde_json::json!({"customer_id": "", "items": []}))
        .await;
    assert_invalid(
        response,
        &[
            ("Idempotency-Key", KEY_RULE),
            (
                "customer_id",
                "must be 1 to 64 characters, not blank, without control characters",
            ),
            ("items", "must hold 1 to 100 items"),
        ],
    )
    .await;
    assert_eq!(app.order_rows().await, 0);
}

#[tokio::test]
async fn the_longest_key_of_bytes_outside_ascii_is_stored_and_replayed() {
    let app = spawn_app().await;
    let key = reqwest::header::HeaderValue::from_bytes(&[0xff; 255]).unwrap();
    let body = order_body("idem", &[(1, 100)]);
    let send = || {
        app.client
            .post(app.url("/orders"))
            .header("Idempotency-Key", key.clone())
            .json(&body)
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), 201);
    let again = send().await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(app.order_rows().await, 1);
}

/// Sends a creation in the background.
fn spawn_post(app: &TestApp, key: &str, body: &Value) -> JoinHandle<reqwest::Response> {
    let request = app
        .client
        .post(app.url("/orders"))
        .header("Idempotency-Key", key)
        .json(body);
    tokio::spawn(async move { request.send().await.expect("POST /orders") })
}

/// A trigger on `orders` that makes every insert wait (`hold`, the start), fail (`fail`) or
/// go through (`pass`), as the test sets it: the service's transaction stays open, or rolls
/// back, right after it recorded its idempotency key.
struct Gate<'a>(&'a TestApp);

impl<'a> Gate<'a> {
    async fn install(app: &'a TestApp) -> Self {
        app.db
            .execute_unprepared(
                r#"
                CREATE TABLE insert_gate (mode text NOT NULL);
                INSERT INTO insert_gate VALUES ('hold');
                CREATE FUNCTION insert_gate() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    WHILE (SELECT mode FROM insert_gate) = 'hold' LOOP
                        PERFORM pg_sleep(0.02);
                    END LOOP;
                    IF (SELECT mode FROM insert_gate) = 'fail' THEN
                        RAISE EXCEPTION 'the insert gate refuses this order';
                    END IF;
                    RETURN NEW;
                END $$;
                CREATE TRIGGER insert_gate BEFORE INSERT ON orders
                    FOR EACH ROW EXECUTE FUNCTION insert_gate();
                "#,
            )
            .await
            .expect("install the insert gate");
        Self(app)
    }

    async fn set(&self, mode: &str) {
        self.0
            .db
            .execute_unprepared(&format!("UPDATE insert_gate SET mode = '{mode}'"))
            .await
            .expect("set the insert gate");
    }
}

/// The service's sessions on its test database, as a superuser sees them (a test role sees
/// neither what another role's sessions wait for nor may it end them).
struct Sessions {
    superuser: DatabaseConnection,
    database: String,
}

impl Sessions {
    async fn of(app: &TestApp) -> Self {
        let row = app
            .db
            .query_one_raw(Statement::from_string(DbBackend::Postgres, "SELECT current_database()"))
            .await
            .unwrap()
            .unwrap();
        Self {
            superuser: checkout_testing::connect(&checkout_testing::servers().postgres_url).await,
            database: row.try_get_by_index(0).unwrap(),
        }
    }

    async fn pids(&self, condition: &str) -> Vec<i32> {
        let sql =
            format!("SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND {condition}");
        self.superuser
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql,
                [self.database.clone().into()],
            ))
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get_by_index(0).unwrap())
            .collect()
    }

    /// The session held at the [`Gate`], once there is one.
    async fn at_gate(&self) -> i32 {
        eventually(Duration::from_secs(5), || async {
            self.pids("wait_event = 'PgSleep'").await.first().copied()
        })
        .await
        .expect("a creation waits at the insert gate")
    }

    /// Waits until `count` sessions wait for a lock (another transaction's key).
    async fn waiting_for_a_key(&self, count: usize) {
        eventually(Duration::from_secs(4), || async {
            (self.pids("wait_event_type = 'Lock'").await.len() >= count).then_some(())
        })
        .await
        .unwrap_or_else(|| panic!("{count} creations wait for the key"));
    }

    async fn terminate(&self, pid: i32) {
        self.superuser
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_terminate_backend($1)",
                [pid.into()],
            ))
            .await
            .unwrap();
    }
}
