//! A JWKS served over real HTTP on 127.0.0.1, whose document a test can swap (a key
//! rotation, an outage) and whose requests it can count.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicUsize, Ordering},
};

use poem::{EndpointExt, IntoResponse, http::StatusCode, web::Json};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use checkout_http::HttpServer;

/// Serves a JWKS on 127.0.0.1 until dropped.
pub struct JwksServer {
    pub url: reqwest::Url,
    state: Arc<ServerState>,
    shutdown: CancellationToken,
}

struct ServerState {
    answer: Mutex<(StatusCode, Value)>,
    requests: AtomicUsize,
}

impl JwksServer {
    pub async fn start(document: Value) -> Self {
        let state = Arc::new(ServerState {
            answer: Mutex::new((StatusCode::OK, document)),
            requests: AtomicUsize::new(0),
        });
        let served = state.clone();
        let endpoint = poem::endpoint::make_sync(move |_| {
            served.requests.fetch_add(1, Ordering::SeqCst);
            let (status, body) = served.answer.lock().unwrap().clone();
            Json(body).with_status(status).into_response()
        });
        let limits = crate::http_limits().connections();
        let server = HttpServer::bind("127.0.0.1", 0, "test JWKS", endpoint.boxed(), limits)
            .await
            .expect("bind a loopback port");
        let url = format!("http://127.0.0.1:{}/.well-known/jwks.json", server.port())
            .parse()
            .unwrap();
        let shutdown = CancellationToken::new();
        tokio::spawn(server.serve(shutdown.clone()));
        Self { url, state, shutdown }
    }

    /// Serves `document` from now on (a key rotation).
    pub fn serve(&self, document: Value) {
        self.answer(StatusCode::OK, document);
    }

    /// Answers `status` with `body` from now on.
    pub fn answer(&self, status: StatusCode, body: Value) {
        *self.state.answer.lock().unwrap() = (status, body);
    }

    /// How many requests the server has had.
    pub fn requests(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}
