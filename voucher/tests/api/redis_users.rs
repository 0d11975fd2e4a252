//! The Redis users of scripts/redis-acl, as the test Redis has them: each service's user can
//! do its service's work on its own channel and nothing else, the default user is disabled,
//! and TLS verifies the server's host name.

use checkout_bus::{LazyConnection, RedisEndpoint};
use checkout_testing::{servers, unique_name};
use redis::{RedisResult, Value, aio::MultiplexedConnection};

async fn connect(url: &str) -> MultiplexedConnection {
    redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap_or_else(|e| panic!("connect: {e}"))
}

async fn run(conn: &mut MultiplexedConnection, args: &[&str]) -> RedisResult<Value> {
    let mut cmd = redis::cmd(args[0]);
    for arg in &args[1..] {
        cmd.arg(*arg);
    }
    cmd.query_async(conn).await
}

async fn assert_allowed(conn: &mut MultiplexedConnection, user: &str, args: &[&str]) {
    if let Err(e) = run(conn, args).await {
        panic!("{user} may run {args:?}, but: {e}");
    }
}

async fn assert_refused(conn: &mut MultiplexedConnection, user: &str, args: &[&str]) {
    match run(conn, args).await {
        Err(e) if e.code() == Some("NOPERM") => {}
        other => panic!("{user} must not run {args:?}, got {other:?}"),
    }
}

/// Commands no service needs, on keys and channels of its own and of others.
fn administration(channel: &str) -> Vec<Vec<String>> {
    [
        vec!["FLUSHALL"],
        vec!["CONFIG", "GET", "*"],
        vec!["CONFIG", "SET", "appendonly", "no"],
        vec!["ACL", "LIST"],
        vec!["KEYS", "*"],
        vec!["GET", channel],
        vec!["SET", channel, "x"],
        vec!["DEL", channel],
        vec!["XRANGE", channel, "-", "+"],
        vec!["XDEL", channel, "0-1"],
        vec!["XGROUP", "DESTROY", channel, "voucher"],
        vec!["EVAL", "return 1", "0"],
        vec!["SHUTDOWN"],
    ]
    .into_iter()
    .map(|args| args.into_iter().map(str::to_owned).collect())
    .collect()
}

async fn assert_all_refused(conn: &mut MultiplexedConnection, user: &str, commands: Vec<Vec<String>>) {
    for args in commands {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_refused(conn, user, &args).await;
    }
}

#[tokio::test]
async fn the_order_user_may_only_publish_and_append_to_its_channel_and_hear_its_acknowledgements() {
    let redis = &servers().redis;
    let channel = unique_name("order.sent");
    let dead = checkout_bus::dead_letter_key(&channel);
    let ack = format!("{channel}.ack");
    let other = unique_name("order.sent");
    let mut order = connect(&redis.url("order")).await;

    assert_allowed(&mut order, "order", &["PING"]).await;
    assert_allowed(&mut order, "order", &["PUBLISH", &channel, "event"]).await;
    assert_allowed(&mut order, "order", &["XADD", &channel, "*", "payload", "event"]).await;

    for args in [
        vec!["SUBSCRIBE", channel.as_str()],
        vec!["PSUBSCRIBE", "*"],
        vec!["XREADGROUP", "GROUP", "voucher", "c", "STREAMS", &channel, ">"],
        vec!["XGROUP", "CREATE", &channel, "voucher", "0", "MKSTREAM"],
        vec!["XACK", &channel, "voucher", "0-1"],
        vec!["XTRIM", &channel, "MAXLEN", "0"],
        vec!["XLEN", &channel],
        vec!["XADD", &dead, "*", "payload", "forged"],
        vec!["PUBLISH", &ack, "forged acknowledgement"],
        vec!["PUBLISH", "order.sent", "not its channel"],
        vec!["XADD", "order.sent", "*", "payload", "not its stream"],
        vec!["PUBLISH", "other", "event"],
    ] {
        assert_refused(&mut order, "order", &args).await;
    }
    assert_all_refused(&mut order, "order", administration(&other)).await;
    assert_all_refused(&mut order, "order", administration(&channel)).await;
}

#[tokio::test]
async fn the_voucher_user_may_only_consume_its_channel_append_dead_letters_and_acknowledge() {
    let redis = &servers().redis;
    let channel = unique_name("order.sent");
    let dead = checkout_bus::dead_letter_key(&channel);
    let ack = format!("{channel}.ack");
    let mut voucher = connect(&redis.url("voucher")).await;

    assert_allowed(&mut voucher, "voucher", &["PING"]).await;
    assert_allowed(
        &mut voucher,
        "voucher",
        &["XGROUP", "CREATE", &channel, "voucher", "0", "MKSTREAM"],
    )
    .await;
    assert_allowed(
        &mut voucher,
        "voucher",
        &["XREADGROUP", "GROUP", "voucher", "c", "STREAMS", &channel, ">"],
    )
    .await;
    assert_allowed(&mut voucher, "voucher", &["XPENDING", &channel, "voucher"]).await;
    assert_allowed(
        &mut voucher,
        "voucher",
        &["XAUTOCLAIM", &channel, "voucher", "c", "0", "0-0"],
    )
    .await;
    assert_allowed(&mut voucher, "voucher", &["XACK", &channel, "voucher", "0-1"]).await;
    assert_allowed(&mut voucher, "voucher", &["XINFO", "GROUPS", &channel]).await;
    assert_allowed(&mut voucher, "voucher", &["XTRIM", &channel, "MINID", "0-1"]).await;
    assert_allowed(&mut voucher, "voucher", &["XADD", &dead, "*", "payload", "poison"]).await;
    assert_allowed(&mut voucher, "voucher", &["PUBLISH", &ack, "acknowledgement"]).await;

    for args in [
        vec!["PUBLISH", channel.as_str(), "forged event"],
        vec!["XADD", &channel, "*", "payload", "forged event"],
        vec!["XADD", &format!("{dead}.dead"), "*", "payload", "x"],
        vec![
            "XADD",
            &format!("{channel}.dead"),
            "*",
            "payload",
            "outside the stream's slot",
        ],
        vec!["XADD", "{order.sent}.dead", "*", "payload", "not its dead letters"],
        vec!["XTRIM", &dead, "MAXLEN", "0"],
        vec!["XRANGE", &dead, "-", "+"],
        vec!["SUBSCRIBE", "order.sent"],
        vec!["SUBSCRIBE", &ack],
        vec!["PUBLISH", "order.sent.ack", "not its acknowledgements"],
        vec!["PSUBSCRIBE", "*"],
        vec!["XREADGROUP", "GROUP", "voucher", "c", "STREAMS", "order.sent", ">"],
    ] {
        assert_refused(&mut voucher, "voucher", &args).await;
    }
    assert_all_refused(&mut voucher, "voucher", administration(&channel)).await;
}

#[tokio::test]
async fn the_default_user_is_disabled_and_wrong_passwords_are_refused() {
    let redis = &servers().redis;
    let mut anonymous = connect(&format!("redis://127.0.0.1:{}", redis.port)).await;
    let err = run(&mut anonymous, &["PING"]).await.unwrap_err();
    assert_eq!(err.code(), Some("NOAUTH"), "{err}");
    for (user, password) in [
        ("default", ""),
        ("default", "x"),
        ("order", "wrong"),
        ("admin", "wrong"),
    ] {
        let err = run(&mut anonymous, &["AUTH", user, password]).await.unwrap_err();
        assert_eq!(err.code(), Some("WRONGPASS"), "{user}: {err}");
    }
    // The services' own password of another user gets nowhere either.
    let url = format!("redis://admin:{}@127.0.0.1:{}", redis.password("order"), redis.port);
    let refused = redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await;
    assert!(refused.is_err(), "admin with the order password");
}

fn tls_endpoint(user: &str, host: &str, ca: bool) -> RedisEndpoint {
    let redis = &servers().redis;
    let ca = ca.then(|| std::fs::read(redis.ca_file()).unwrap());
    RedisEndpoint::new(&redis.tls_url(user, host), None, ca).unwrap()
}

#[tokio::test]
async fn tls_to_localhost_verifies_against_the_ca_and_authenticates_the_user() {
    let conn = LazyConnection::new(&tls_endpoint("order", "localhost", true)).unwrap();
    let mut conn = conn.get().await.expect("TLS to localhost with the CA");
    let pong: String = redis::cmd("PING").query_async(&mut conn).await.unwrap();
    assert_eq!(pong, "PONG");
    let err = redis::cmd("GET")
        .arg("x")
        .query_async::<Value>(&mut conn)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NOPERM"), "still the order user over TLS: {err}");
}

#[tokio::test]
async fn tls_refuses_a_host_name_the_certificate_does_not_name() {
    let conn = LazyConnection::new(&tls_endpoint("order", "127.0.0.1", true)).unwrap();
    let Err(err) = conn.get().await else {
        panic!("127.0.0.1 is not in the certificate")
    };
    let message = err.to_string();
    assert!(
        message.contains("certificate not valid for name \"127.0.0.1\""),
        "a clear reason: {message}"
    );
    assert!(!message.contains(&servers().redis.password("order")), "{message}");
}

#[tokio::test]
async fn tls_refuses_a_server_whose_ca_is_not_trusted() {
    let conn = LazyConnection::new(&tls_endpoint("order", "localhost", false)).unwrap();
    let Err(err) = conn.get().await else {
        panic!("the development CA is not a public one")
    };
    assert!(err.to_string().contains("UnknownIssuer"), "{err}");
}
