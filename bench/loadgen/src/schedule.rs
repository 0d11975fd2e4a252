//! The arrival schedule: request k is due at start + k / rate, whatever the server does.
//!
//! A pacer thread releases one permit per request when it falls due; a connection takes
//! a permit, then the next request index, so no request is sent before it is due. The
//! pacer is an OS thread sleeping with nanosleep rather than a tokio timer, whose 1 ms
//! granularity would add up to a millisecond to every latency measured from the due time.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::Semaphore;

pub struct Schedule {
    pub start: Instant,
    /// The wall clock at `start`, in microseconds since the Unix epoch.
    pub start_epoch_us: u64,
    pub rate: f64,
    pub total: u64,
    permits: Semaphore,
    next: AtomicU64,
}

impl Schedule {
    /// A schedule of TOTAL requests at RATE per second, starting after LEAD.
    pub fn new(rate: f64, total: u64, lead: Duration) -> Arc<Self> {
        let epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        let now = Instant::now();
        Arc::new(Self {
            start: now + lead,
            start_epoch_us: (epoch + lead).as_micros() as u64,
            rate,
            total,
            permits: Semaphore::new(0),
            next: AtomicU64::new(0),
        })
    }

    pub fn due(&self, k: u64) -> Instant {
        self.start + self.offset(k)
    }

    pub fn due_epoch_us(&self, k: u64) -> u64 {
        self.start_epoch_us + self.offset(k).as_micros() as u64
    }

    fn offset(&self, k: u64) -> Duration {
        Duration::from_secs_f64(k as f64 / self.rate)
    }

    /// Waits until a request is due and returns its index, or None when all have been taken.
    pub async fn next_due(&self) -> Option<u64> {
        self.permits.acquire().await.ok()?.forget();
        let k = self.next.fetch_add(1, Ordering::Relaxed);
        (k < self.total).then_some(k)
    }

    /// Releases the permits as requests fall due; WORKERS extra permits at the end let every
    /// connection find out that the schedule is over.
    pub fn spawn_pacer(self: &Arc<Self>, workers: usize) -> thread::JoinHandle<()> {
        let schedule = Arc::clone(self);
        thread::spawn(move || {
            let mut released = 0;
            while released < schedule.total {
                let now = Instant::now();
                let due = match now.checked_duration_since(schedule.start) {
                    Some(elapsed) => ((elapsed.as_secs_f64() * schedule.rate) as u64 + 1).min(schedule.total),
                    None => 0,
                };
                if due > released {
                    schedule.permits.add_permits((due - released) as usize);
                    released = due;
                }
                if released < schedule.total {
                    thread::sleep(schedule.due(released).saturating_duration_since(Instant::now()));
                }
            }
            schedule.permits.add_permits(workers);
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_due_at_constant_intervals() {
        let s = Schedule::new(1000.0, 10, Duration::ZERO);
        assert_eq!(s.due(3) - s.start, Duration::from_millis(3));
        assert_eq!(s.due_epoch_us(2) - s.start_epoch_us, 2000);
    }

    #[tokio::test]
    async fn no_request_is_handed_out_before_it_is_due_and_none_after_the_last() {
        let s = Schedule::new(200.0, 4, Duration::from_millis(5));
        let pacer = s.spawn_pacer(2);
        for k in 0..4 {
            assert_eq!(s.next_due().await, Some(k));
            assert!(Instant::now() >= s.due(k));
        }
        assert_eq!(s.next_due().await, None);
        assert_eq!(s.next_due().await, None);
        pacer.join().unwrap();
    }
}
