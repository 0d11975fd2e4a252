//! The one retry pause every loop of both services uses: exponential, capped, with jitter,
//! so that replicas which failed together do not retry together.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};
use tokio_util::sync::CancellationToken;

/// Pauses between attempts of a loop that keeps going: each failure doubles the pause (plus
/// a random jitter of up to the pause itself) up to `max`; a success starts over at `min`.
#[derive(Debug)]
pub struct Backoff {
    builder: ExponentialBuilder,
    delays: ExponentialBackoff,
    max: Duration,
    failures: u32,
}

impl Backoff {
    pub fn new(min: Duration, max: Duration) -> Self {
        let builder = ExponentialBuilder::new()
            .with_min_delay(min)
            .with_max_delay(max)
            .with_factor(2.0)
            .with_jitter()
            .without_max_times();
        Self {
            delays: builder.build(),
            builder,
            max,
            failures: 0,
        }
    }

    /// Records a failure and returns how long to wait before the next attempt.
    pub fn next_delay(&mut self) -> Duration {
        self.failures = self.failures.saturating_add(1);
        // Built without a limit on attempts, the iterator never ends; `max` is the fallback.
        self.delays.next().unwrap_or(self.max)
    }

    /// Failures since the last success.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Records a success: the next failure waits the minimum again.
    pub fn reset(&mut self) {
        if self.failures > 0 {
            self.failures = 0;
            self.delays = self.builder.build();
        }
    }
}

/// Runs `attempt` until it succeeds, pausing with the default [`Backoff`] after each failure
/// (logged with `what`, say "cannot subscribe yet"); `None` once `shutdown` fires first.
pub async fn until_done<T, E, F, Fut>(what: &str, shutdown: &CancellationToken, mut attempt: F) -> Option<T>
where
    E: std::error::Error + 'static,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut backoff = Backoff::default();
    loop {
        match attempt().await {
            Ok(value) => return Some(value),
            Err(e) => {
                let pause = backoff.next_delay();
                tracing::warn!(
                    error.message = %crate::error::Chain(&e),
                    failures = backoff.failures(),
                    retry_in = ?pause,
                    "{what}; retrying"
                );
                tokio::select! {
                    _ = shutdown.cancelled() => return None,
                    _ = tokio::time::sleep(pause) => {}
                }
            }
        }
    }
}

impl Default for Backoff {
    /// 100 ms doubling to 5 s: long enough not to hammer a dependency that is down, short
    /// enough to notice it is back within seconds.
    fn default() -> Self {
        Self::new(Duration::from_millis(100), Duration::from_secs(5))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_grow_with_jitter_up_to_the_cap_and_start_over_after_a_success() {
        let (min, max) = (Duration::from_millis(100), Duration::from_secs(5));
        let mut backoff = Backoff::new(min, max);
        let first = backoff.next_delay();
        assert!(first >= min && first <= 2 * min, "{first:?}");
        let mut last = first;
        for _ in 0..20 {
            last = backoff.next_delay();
            assert!(last <= 2 * max, "{last:?}");
        }
        assert!(last >= max, "after 21 failures the pause reached the cap: {last:?}");
        assert_eq!(backoff.failures(), 21);
        backoff.reset();
        assert_eq!(backoff.failures(), 0);
        let again = backoff.next_delay();
        assert!(again <= 2 * min, "{again:?}");
    }

    #[test]
    fn jitter_spreads_the_pauses_of_loops_that_failed_together() {
        let pauses: std::collections::HashSet<_> = (0..20)
            .map(|_| {
                let mut backoff = Backoff::default();
                backoff.next_delay();
                backoff.next_delay()
            })
            .collect();
        assert!(pauses.len() > 1, "{pauses:?}");
    }
}
