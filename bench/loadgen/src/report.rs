//! The summary as JSON, and the per-request CSV.

use std::io::{BufWriter, Write};
use std::path::Path;

use hdrhistogram::Histogram;
use serde_json::{Value, json};

use crate::schedule::Schedule;
use crate::target::Target;
use crate::worker::Stats;

pub struct Run<'a> {
    pub schedule: &'a Schedule,
    pub stats: &'a Stats,
    pub connections: usize,
    pub max_in_flight: usize,
    /// Send lag p99 above this (ms) counts as falling behind the schedule.
    pub max_lag_ms: f64,
}

pub fn summary(run: &Run) -> Value {
    let Run { schedule, stats, .. } = *run;
    let responses: u64 = stats.statuses.values().sum();
    let ok: u64 = stats
        .statuses
        .iter()
        .filter(|(s, _)| (200..300).contains(*s))
        .map(|(_, n)| n)
        .sum();
    let failures: u64 = stats.failures.values().sum();
    let elapsed = stats
        .last_done
        .map(|t| t.saturating_duration_since(schedule.start).as_secs_f64());
    let achieved = elapsed.filter(|&e| e > 0.0).map(|e| responses as f64 / e);
    let lag_p99 = ms(stats.send_lag.value_at_quantile(0.99));

    let mut warnings = Vec::new();
    if lag_p99 > run.max_lag_ms {
        let why = if run.max_in_flight >= run.connections {
            "every connection was busy at times: the server's queue reached the generator (more connections would send on time)"
        } else {
            "connections were free: the generator itself was late (short of CPU on this machine)"
        };
        warnings.push(format!(
            "fell behind its schedule: p99 of send lag {lag_p99:.2} ms (limit {} ms); {why}",
            run.max_lag_ms
        ));
    }
    if let Some(a) = achieved
        && a < 0.95 * schedule.rate
    {
        warnings.push(format!("achieved {a:.1} req/s of the {} offered", schedule.rate));
    }

    json!({
        "offered_rps": schedule.rate,
        "requests": schedule.total,
        "responses": responses,
        "ok": ok,
        "errors_total": schedule.total - ok,
        "statuses": stats.statuses.iter().map(|(s, n)| (s.to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
        "failures": stats.failures,
        "failures_total": failures,
        "schedule_s": schedule.total as f64 / schedule.rate,
        "elapsed_s": elapsed,
        "achieved_rps": achieved.map(|a| (a * 10.0).round() / 10.0),
        "start_epoch_us": schedule.start_epoch_us,
        "connections": run.connections,
        "max_in_flight": run.max_in_flight,
        "cpu_s": own_cpu_s(),
        "latency_ms": percentiles(&stats.latency),
        "send_lag_ms": percentiles(&stats.send_lag),
        "behind_schedule": !warnings.is_empty(),
        "warnings": warnings,
    })
}

/// CPU time of this process so far, all threads (Linux /proc/self/stat utime + stime, in
/// clock ticks of USER_HZ, which is 100 on every architecture Linux runs on).
fn own_cpu_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let mut fields = stat.get(stat.rfind(')')? + 2..)?.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}

fn percentiles(h: &Histogram<u64>) -> Value {
    if h.is_empty() {
        return Value::Null;
    }
    json!({
        "p50": ms(h.value_at_quantile(0.50)),
        "p90": ms(h.value_at_quantile(0.90)),
        "p99": ms(h.value_at_quantile(0.99)),
        "p99_9": ms(h.value_at_quantile(0.999)),
        "max": ms(h.max()),
        "mean": (h.mean() / 10.0).round() / 100.0,
    })
}

fn ms(us: u64) -> f64 {
    (us as f64 / 10.0).round() / 100.0
}

/// One line per request in index order: `k,id,due_epoch_us,latency_us,status` (status 0:
/// no response; id: the substituted `{id}`, or the index).
pub fn write_csv(path: &Path, schedule: &Schedule, target: &Target, stats: &mut Stats) -> anyhow::Result<()> {
    stats.records.sort_by_key(|r| r.k);
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, "k,id,due_epoch_us,latency_us,status")?;
    for r in &stats.records {
        writeln!(
            out,
            "{},{},{},{},{}",
            r.k,
            target.label(r.k),
            schedule.due_epoch_us(r.k),
            r.latency_us,
            r.status
        )?;
    }
    out.flush()?;
    Ok(())
}
