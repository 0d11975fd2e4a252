//! CPU flame graphs for benchmark builds only: `GET /debug/flamegraph?seconds=N` on the admin
//! listener samples every thread of the process for N seconds (499 samples a second, pprof's
//! SIGPROF sampler) and answers an SVG flame graph. Compiled in with the `profiling` feature
//! (`cargo build --release --features profiling`), which release images never enable.

use poem::{EndpointExt, IntoResponse, Response, Route, endpoint::BoxEndpoint, handler, http::StatusCode, web::Query};
use serde::Deserialize;

/// How long one profile may sample; a longer request is refused.
const MAX_SECONDS: u64 = 120;
/// Samples per second per thread; a prime, so the sampler does not beat with periodic work.
const FREQUENCY: i32 = 499;

#[derive(Debug, Deserialize)]
struct Params {
    seconds: u64,
}

/// `admin` with `/debug/flamegraph` added in front of it.
pub fn with_flamegraph(admin: BoxEndpoint<'static>) -> BoxEndpoint<'static> {
    Route::new()
        .at("/debug/flamegraph", flamegraph)
        .nest("/", admin)
        .boxed()
}

#[handler]
async fn flamegraph(Query(params): Query<Params>) -> Response {
    if params.seconds == 0 || params.seconds > MAX_SECONDS {
        return (StatusCode::BAD_REQUEST, format!("seconds must be 1-{MAX_SECONDS}")).into_response();
    }
    let seconds = params.seconds;
    match tokio::task::spawn_blocking(move || sample(seconds)).await {
        Ok(Ok(svg)) => Response::builder().content_type("image/svg+xml").body(svg),
        Ok(Err(e)) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// Samples the process for `seconds` and draws what it saw.
fn sample(seconds: u64) -> Result<Vec<u8>, pprof::Error> {
    let guard = pprof::ProfilerGuardBuilder::default()
        .frequency(FREQUENCY)
        // Unwinding through these from a signal handler can deadlock (pprof's advice).
        .blocklist(&["libc", "libgcc", "pthread", "vdso"])
        .build()?;
    std::thread::sleep(std::time::Duration::from_secs(seconds));
    let report = guard.report().build()?;
    let mut svg = Vec::new();
    report.flamegraph(&mut svg)?;
    Ok(svg)
}
