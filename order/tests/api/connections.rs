//! What the server allows a connection: time for its headers and body, and how many at once.

use std::time::{Duration, Instant};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::helpers::{TestApp, assert_problem, spawn_app_with};

async fn connect(app: &TestApp) -> TcpStream {
    let address = app.address.trim_start_matches("http://");
    TcpStream::connect(address).await.expect("connect")
}

/// Reads until the server closes the connection or `limit` passes; the bytes read and
/// whether it closed.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (Vec<u8>, bool) {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
            Err(_) => return (received, false),
            Ok(Ok(0) | Err(_)) => return (received, true),
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
        }
    }
}

#[tokio::test]
async fn a_client_sending_its_headers_a_byte_a_second_is_cut_off_while_others_are_served() {
    let app = spawn_app_with(|settings| settings.http_limits.header_timeout_secs = 2).await;
    let mut slow = connect(&app).await;
    let started = Instant::now();
    let trickle = async {
        for byte in b"GET /openapi.json HTTP/1.1\r\nHost: localhost\r\nX-Slow: aaaaaaaaaaaaaaaaaaaa" {
            if slow.write_all(&[*byte]).await.is_err() {
                break;
            }
            let (_, closed) = read_until_closed(&mut slow, Duration::from_secs(1)).await;
            if closed {
                break;
            }
        }
        started.elapsed()
    };
    let others = async {
        let mut served = 0;
        while started.elapsed() < Duration::from_secs(3) {
            assert_eq!(app.get("/openapi.json").await.status(), 200);
            served += 1;
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        served
    };
    let (cut_after, served) = tokio::join!(trickle, others);
    assert!(
        // The whole header would take over a minute at this pace.
        cut_after >= Duration::from_secs(2) && cut_after < Duration::from_secs(6),
        "the slow connection was closed after {cut_after:?}"
    );
    assert!(served >= 3, "only {served} other requests were served meanwhile");
}

#[tokio::test]
async fn a_request_whose_body_stalls_gets_a_408_after_the_request_timeout() {
    let app = spawn_app_with(|settings| settings.http_limits.request_timeout_secs = 1).await;
    let mut stream = connect(&app).await;
    stream
        .write_all(b"POST /orders HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"customer_id\":")
        .await
        .unwrap();
    let started = Instant::now();
    let (response, _) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(response.contains("application/problem+json"), "{response}");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    assert_problem(app.get("/nope").await, 404).await;
}

#[tokio::test]
async fn connections_over_the_cap_wait_until_one_closes() {
    let app = spawn_app_with(|settings| settings.http_limits.max_connections = 2).await;
    let first = connect(&app).await;
    let _second = connect(&app).await;
    let mut third = connect(&app).await;
    third
        .write_all(b"GET /openapi.json HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let (waiting, closed) = read_until_closed(&mut third, Duration::from_millis(800)).await;
    assert!(waiting.is_empty() && !closed, "the third connection was served at once");
    drop(first);
    let (response, closed) = read_until_closed(&mut third, Duration::from_secs(5)).await;
    let response = String::from_utf8_lossy(&response);
    assert!(closed && response.starts_with("HTTP/1.1 200"), "{response}");
}
