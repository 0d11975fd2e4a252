//! What proof of origin costs per event: sealing by the order service, opening by the voucher
//! service. `cargo bench -p checkout-contract --bench event_signing [-- --json FILE]`.

use std::time::{Duration, Instant};

use checkout_contract::signing::{EventSigner, EventVerifier};
use checkout_testing::DevSigningKey;
use jsonwebtoken::jwk::JwkSet;
use serde_json::json;

const ROUNDS: u32 = 20_000;

fn main() {
    let json_out = std::env::args().skip_while(|a| a != "--json").nth(1);
    let key = DevSigningKey::generate().expect("an Ed25519 key");
    let signer = EventSigner::from_pem(key.pem()).expect("a signer");
    let jwks = serde_json::to_vec(&JwkSet {
        keys: vec![key.jwk().clone()],
    })
    .expect("a JWKS");
    let verifier = EventVerifier::from_jwks(&jwks).expect("a verifier");
    let payload = json!({
        "event_id": "0193a0b2-0000-7000-8000-000000000000", "event_type": "order.sent",
        "schema_version": 1, "occurred_at": "2026-12-01T12:00:00.000000Z",
        "order_id": "0193a0b2-0000-7000-8000-000000000001", "customer_id": "alice",
        "total_cents": 12000, "currency": "EUR",
        "request_id": "5b1c1a9e-8a4e-4c47-9d36-0d8f4c4a3e11",
        "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    })
    .to_string();

    let started = Instant::now();
    let mut sealed = String::new();
    for _ in 0..ROUNDS {
        sealed = signer.seal(&payload);
    }
    let seal = started.elapsed() / ROUNDS;
    let started = Instant::now();
    for _ in 0..ROUNDS {
        verifier.open(sealed.as_bytes()).expect("a valid seal");
    }
    let open = started.elapsed() / ROUNDS;
    println!(
        "event of {} bytes ({} sealed): seal {:.2} us, open {:.2} us",
        payload.len(),
        sealed.len(),
        micros(seal),
        micros(open)
    );
    if let Some(path) = json_out {
        let figures = json!({"payload_bytes": payload.len(), "sealed_bytes": sealed.len(),
                             "seal_us": micros(seal), "open_us": micros(open)});
        std::fs::write(&path, figures.to_string()).expect("write the figures");
    }
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
