//! An open-loop HTTP load generator, modelled on wrk2: requests are offered at a constant
//! arrival rate over keep-alive HTTP/1.1 connections, request k is due at start + k / rate,
//! none is sent before it is due, and each latency runs from the due time to the end of the
//! response. A server that stalls therefore pays for every request that queued behind the
//! stall (the coordinated-omission correction), not only for the one it held up.
#![forbid(unsafe_code)]

mod report;
mod schedule;
mod target;
mod worker;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Parser;

use crate::schedule::Schedule;
use crate::target::Target;
use crate::worker::{Shared, Stats};

#[derive(Parser)]
#[command(
    name = "loadgen",
    about = "Open-loop HTTP load at a constant arrival rate; JSON summary on stdout"
)]
struct Args {
    /// http://IP:PORT/PATH; `{id}` in the path takes the next id of --ids, `{i}` (path or
    /// body) the request's index.
    url: String,
    /// Requests per second offered, whatever the server does.
    #[arg(short, long)]
    rate: f64,
    /// Seconds of load (requests = rate x duration).
    #[arg(short, long, conflicts_with = "requests")]
    duration: Option<f64>,
    /// Number of requests (default with --ids: one per id).
    #[arg(short = 'n', long)]
    requests: Option<u64>,
    #[arg(short = 'X', long, default_value = "GET")]
    method: String,
    /// A request header, `Name: value`; repeatable.
    #[arg(short = 'H', long = "header")]
    headers: Vec<String>,
    /// JSON request body (sent with Content-Type: application/json).
    #[arg(short, long)]
    body: Option<String>,
    /// File of ids, one per line, substituted for `{id}` in the path, one per request.
    #[arg(long)]
    ids: Option<PathBuf>,
    /// Keep-alive connections, opened before the first request is due.
    #[arg(short, long, default_value_t = 64)]
    connections: usize,
    /// Runtime worker threads.
    #[arg(short, long, default_value_t = 2)]
    threads: usize,
    /// Seconds before a request without a response counts as failed.
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
    /// Warn when the p99 of the send lag (due -> sent) exceeds this many milliseconds.
    #[arg(long, default_value_t = 1.0)]
    max_lag_ms: f64,
    /// Write one line per request here (k,id,due_epoch_us,latency_us,status).
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Write the summary here rather than to stdout.
    #[arg(long)]
    json: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if !args.rate.is_finite() || args.rate <= 0.0 || args.connections == 0 {
        bail!("--rate and --connections must be positive");
    }
    let ids = match &args.ids {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from)
                .collect::<Vec<_>>(),
        ),
        None => None,
    };
    let target = Target::new(&args.url, &args.method, &args.headers, args.body.clone(), ids)?;
    let total = match (args.requests, args.duration, target.id_count()) {
        (Some(n), _, _) => n,
        (None, Some(d), _) => (d * args.rate).round() as u64,
        (None, None, Some(n)) => n,
        (None, None, None) => bail!("give --duration, --requests or --ids"),
    };
    if target.id_count().is_some_and(|n| n < total) {
        bail!("{total} requests but only {} ids", target.id_count().unwrap_or(0));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads.max(1))
        .enable_all()
        .build()?;
    runtime.block_on(run(args, target, total))
}

async fn run(args: Args, target: Target, total: u64) -> anyhow::Result<()> {
    let mut senders = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        let sender = worker::connect(&target)
            .await
            .map_err(|f| anyhow::anyhow!("cannot open a connection to {} ({})", target.addr, f.name()))?;
        senders.push(sender);
    }
    let schedule = Schedule::new(args.rate, total, Duration::from_millis(10));
    let shared = Arc::new(Shared {
        target,
        schedule: Arc::clone(&schedule),
        timeout: Duration::from_secs_f64(args.timeout),
        keep_records: args.csv.is_some(),
        in_flight: AtomicUsize::new(0),
        max_in_flight: AtomicUsize::new(0),
    });
    let pacer = schedule.spawn_pacer(args.connections);
    let workers: Vec<_> = senders
        .into_iter()
        .map(|s| tokio::spawn(worker::run(Arc::clone(&shared), Some(s))))
        .collect();
    let mut stats = Stats::new();
    for w in workers {
        stats.merge(w.await?);
    }
    pacer.join().map_err(|_| anyhow::anyhow!("the pacer thread panicked"))?;

    if let Some(path) = &args.csv {
        report::write_csv(path, &schedule, &shared.target, &mut stats)?;
    }
    let summary = report::summary(&report::Run {
        schedule: &schedule,
        stats: &stats,
        connections: args.connections,
        max_in_flight: shared.max_in_flight.load(Ordering::Relaxed),
        max_lag_ms: args.max_lag_ms,
    });
    let text = serde_json::to_string_pretty(&summary)?;
    match &args.json {
        Some(path) => std::fs::write(path, text + "\n")?,
        None => println!("{text}"),
    }
    let lat = &summary["latency_ms"];
    eprintln!(
        "loadgen: {} req/s offered, {} achieved; {} of {} ok; p50 {} ms, p99 {} ms, p99.9 {} ms",
        args.rate, summary["achieved_rps"], summary["ok"], total, lat["p50"], lat["p99"], lat["p99_9"]
    );
    for w in summary["warnings"].as_array().into_iter().flatten() {
        eprintln!("loadgen: warning: {}", w.as_str().unwrap_or_default());
    }
    Ok(())
}
