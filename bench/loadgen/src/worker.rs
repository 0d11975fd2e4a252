//! One keep-alive HTTP/1.1 connection: it takes the next due request, sends it, and records
//! the latency from the due time to the end of the response body.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::CONNECTION;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::schedule::Schedule;
use crate::target::Target;

type Sender = SendRequest<Full<Bytes>>;

/// What went wrong with a request that got no response.
#[derive(Clone, Copy)]
pub enum Failure {
    Connect,
    Io,
    Timeout,
}

impl Failure {
    pub fn name(self) -> &'static str {
        match self {
            Failure::Connect => "connect",
            Failure::Io => "io",
            Failure::Timeout => "timeout",
        }
    }
}

/// One request, for the per-request output: its index, the HTTP status (0: no response),
/// and the latency from its due time in microseconds.
pub struct Record {
    pub k: u64,
    pub status: u16,
    pub latency_us: u64,
}

pub struct Stats {
    /// Due time -> response complete, microseconds, of every request that got a response.
    pub latency: Histogram<u64>,
    /// Due time -> sent, microseconds: how late the generator sent (0 when on time).
    pub send_lag: Histogram<u64>,
    pub statuses: BTreeMap<u16, u64>,
    pub failures: BTreeMap<&'static str, u64>,
    pub last_done: Option<Instant>,
    pub records: Vec<Record>,
}

impl Stats {
    pub fn new() -> Self {
        // 1 µs to 1 hour at 3 significant digits.
        let histogram = || Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid bounds");
        Self {
            latency: histogram(),
            send_lag: histogram(),
            statuses: BTreeMap::new(),
            failures: BTreeMap::new(),
            last_done: None,
            records: Vec::new(),
        }
    }

    pub fn merge(&mut self, other: Stats) {
        self.latency.add(&other.latency).expect("same bounds");
        self.send_lag.add(&other.send_lag).expect("same bounds");
        for (status, n) in other.statuses {
            *self.statuses.entry(status).or_default() += n;
        }
        for (failure, n) in other.failures {
            *self.failures.entry(failure).or_default() += n;
        }
        self.last_done = self.last_done.max(other.last_done);
        self.records.extend(other.records);
    }
}

pub struct Shared {
    pub target: Target,
    pub schedule: Arc<Schedule>,
    pub timeout: Duration,
    pub keep_records: bool,
    pub in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
}

pub async fn connect(target: &Target) -> Result<Sender, Failure> {
    let stream = TcpStream::connect(target.addr).await.map_err(|_| Failure::Connect)?;
    stream.set_nodelay(true).map_err(|_| Failure::Connect)?;
    let (sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|_| Failure::Connect)?;
    tokio::spawn(connection);
    Ok(sender)
}

/// Runs one connection (opened beforehand, reopened after an error or `Connection: close`)
/// until the schedule has no request left.
pub async fn run(shared: Arc<Shared>, mut sender: Option<Sender>) -> Stats {
    let mut stats = Stats::new();
    while let Some(k) = shared.schedule.next_due().await {
        let due = shared.schedule.due(k);
        let sent = Instant::now();
        stats
            .send_lag
            .saturating_record(micros(sent.saturating_duration_since(due)));
        let in_flight = shared.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
        shared.max_in_flight.fetch_max(in_flight, Ordering::Relaxed);
        let outcome = tokio::time::timeout(shared.timeout, exchange(&shared.target, &mut sender, k)).await;
        shared.in_flight.fetch_sub(1, Ordering::Relaxed);
        let done = Instant::now();
        let latency = micros(done.saturating_duration_since(due));
        let status = match outcome {
            Ok(Ok(status)) => {
                stats.latency.saturating_record(latency);
                *stats.statuses.entry(status).or_default() += 1;
                status
            }
            Ok(Err(failure)) => {
                *stats.failures.entry(failure.name()).or_default() += 1;
                0
            }
            Err(_) => {
                // The request may still be in flight on this connection: start afresh.
                sender = None;
                *stats.failures.entry(Failure::Timeout.name()).or_default() += 1;
                0
            }
        };
        stats.last_done = Some(done);
        if shared.keep_records {
            stats.records.push(Record {
                k,
                status,
                latency_us: latency,
            });
        }
    }
    stats
}

/// Sends request K on the connection (opening it if needed); the response's status once its
/// body has been read.
async fn exchange(target: &Target, sender: &mut Option<Sender>, k: u64) -> Result<u16, Failure> {
    let request = target.request(k).map_err(|_| Failure::Io)?;
    // A connection the server closed while idle is replaced before sending: nothing was lost.
    let idle_closed = match sender.as_mut() {
        Some(s) => s.ready().await.is_err(),
        None => true,
    };
    if idle_closed {
        let mut fresh = connect(target).await?;
        fresh.ready().await.map_err(|_| Failure::Connect)?;
        *sender = Some(fresh);
    }
    let s = sender.as_mut().expect("connected above");
    let result = async {
        let response = s.send_request(request).await.map_err(|_| Failure::Io)?;
        let close = response
            .headers()
            .get(CONNECTION)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
        let status = response.status().as_u16();
        response.into_body().collect().await.map_err(|_| Failure::Io)?;
        Ok((status, close))
    }
    .await;
    match result {
        Ok((status, close)) => {
            if close {
                *sender = None;
            }
            Ok(status)
        }
        Err(failure) => {
            *sender = None;
            Err(failure)
        }
    }
}

fn micros(d: Duration) -> u64 {
    d.as_micros().min(u64::MAX as u128) as u64
}
