//! CPU flame graphs for benchmark builds only: `GET /debug/flamegraph?seconds=N` on the admin
//! listener samples every thread of the process for N seconds (499 samples a second, pprof's
//! SIGPROF sampler) and answers an SVG flame graph. Compiled in with the `profiling` feature
//! (`cargo build --release --features profiling`), which release images never enable.

use poem::{EndpointExt, IntoResponse, Response, Route, endpoint::BoxEndpoint, handler, web::Query};
use serde::Deserialize;

use crate::{ApiError, problem_from_error};

/// How long one profile may sample; a longer request is refused.
const MAX_SECONDS: u64 = 120;
/// Samples per second of the process's CPU time; a prime, so the sampler does not beat
/// with periodic work.
const FREQUENCY: i32 = 499;

#[derive(Debug, Deserialize)]
struct Params {
    seconds: u64,
}

/// `admin` with `/debug/flamegraph` added in front of it; its errors are problem details,
/// as the rest of the admin listener's are.
pub fn with_flamegraph(admin: BoxEndpoint<'static>) -> BoxEndpoint<'static> {
    Route::new()
        .at("/debug/flamegraph", flamegraph)
        .nest("/", admin)
        .catch_all_error(problem_from_error)
        .map_to_response()
        .boxed()
}

#[handler]
async fn flamegraph(Query(params): Query<Params>) -> Response {
    if params.seconds == 0 || params.seconds > MAX_SECONDS {
        let detail = format!("seconds must be 1-{MAX_SECONDS}");
        return ApiError::bad_request("validation", detail).into_response();
    }
    let seconds = params.seconds;
    match tokio::task::spawn_blocking(move || sample(seconds)).await {
        Ok(Ok(svg)) => Response::builder().content_type("image/svg+xml").body(svg),
        Ok(Err(e)) => ApiError::internal(&e).into_response(),
        Err(e) => ApiError::internal(&e).into_response(),
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

#[cfg(test)]
mod tests {
    use poem::test::TestClient;

    use super::*;

    fn admin() -> TestClient<BoxEndpoint<'static>> {
        let rest = Route::new().at("/health", poem::endpoint::make_sync(|_| "ok")).boxed();
        TestClient::new(with_flamegraph(rest))
    }

    #[tokio::test]
    async fn a_profile_is_an_svg_flame_graph_and_the_rest_of_the_admin_listener_stays() {
        let admin = admin();
        // Something to sample: an idle process leaves pprof nothing to draw.
        let busy = std::thread::spawn(|| {
            let until = std::time::Instant::now() + std::time::Duration::from_millis(1500);
            let mut n = 0u64;
            while std::time::Instant::now() < until {
                n = std::hint::black_box(n.wrapping_mul(31).wrapping_add(7));
            }
            n
        });
        let response = admin.get("/debug/flamegraph").query("seconds", &1).send().await;
        busy.join().unwrap();
        response.assert_status_is_ok();
        response.assert_content_type("image/svg+xml");
        assert!(response.0.into_body().into_string().await.unwrap().contains("<svg"));
        admin.get("/health").send().await.assert_text("ok").await;
    }

    #[tokio::test]
    async fn a_bad_duration_is_a_problem_and_samples_nothing() {
        let admin = admin();
        for query in ["seconds=0", "seconds=121", "seconds=soon", ""] {
            let response = admin.get(format!("/debug/flamegraph?{query}")).send().await;
            response.assert_status(poem::http::StatusCode::BAD_REQUEST);
            response.assert_content_type(crate::PROBLEM_JSON);
        }
    }
}
