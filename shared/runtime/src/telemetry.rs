//! Structured logging for both services.

use std::io::IsTerminal;

use std::fmt::{self as stdfmt, Write as _};

use tracing::field::{Field, Visit};
use tracing_subscriber::{
    EnvFilter,
    field::{MakeVisitor, VisitFmt, VisitOutput},
    fmt::{self, format::Writer},
    layer::SubscriberExt,
    util::SubscriberInitExt,
};

/// Filter used when `RUST_LOG` is unset: the services at `info`, chatty dependencies quieter.
/// sqlx logs every statement at `info`, which would drown the service's own lines.
pub const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm=warn,sea_orm_migration=info";

/// Output format of log lines, from `LOG_FORMAT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable lines (the default).
    #[default]
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "text" | "pretty" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            other => Err(format!("expected `text` or `json`, got `{other}`")),
        }
    }
}

/// Installs the global tracing subscriber. `RUST_LOG` overrides [`DEFAULT_FILTER`].
/// Does nothing if a subscriber is already installed (as in tests that build several apps).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match format {
        LogFormat::Text => registry
            .with(
                fmt::layer()
                    .fmt_fields(QuotedFields)
                    .with_ansi(std::io::stdout().is_terminal()),
            )
            .try_init(),
        LogFormat::Json => registry
            .with(fmt::layer().json().flatten_event(true).with_current_span(true))
            .try_init(),
    };
}

/// The text format's fields: `name=value`, the value quoted and escaped (`name="a b=c}"`)
/// unless it is plain (letters, digits and `-_.:/@+`), so that a value a caller chose (a
/// customer id, a token's subject, an `x-request-id`) cannot write fields, span ends or
/// lines of its own. Messages, the code's own text, keep their words; control characters in
/// them are escaped. The JSON format escapes by construction.
#[derive(Debug, Clone, Copy, Default)]
pub struct QuotedFields;

impl<'a> MakeVisitor<Writer<'a>> for QuotedFields {
    type Visitor = QuotingVisitor<'a>;

    fn make_visitor(&self, writer: Writer<'a>) -> Self::Visitor {
        QuotingVisitor {
            writer,
            first: true,
            result: Ok(()),
        }
    }
}

/// The visitor of [`QuotedFields`].
pub struct QuotingVisitor<'a> {
    writer: Writer<'a>,
    first: bool,
    result: stdfmt::Result,
}

/// Whether `value` can be written as it is: nothing that could end it or start another field.
fn is_plain(value: &str) -> bool {
    !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '/' | '@' | '+'))
}

impl QuotingVisitor<'_> {
    fn write(&mut self, field: &Field, value: &str) {
        if self.result.is_err() {
            return;
        }
        let separator = if std::mem::take(&mut self.first) { "" } else { " " };
        self.result = if field.name() == "message" {
            let text: String = value
                .chars()
                .flat_map(|c| {
                    let escaped: Vec<char> = if c.is_control() {
                        c.escape_default().collect()
                    } else {
                        vec![c]
                    };
                    escaped
                })
                .collect();
            write!(self.writer, "{separator}{text}")
        } else if is_plain(value) {
            write!(self.writer, "{separator}{}={value}", field.name())
        } else {
            write!(self.writer, "{separator}{}={value:?}", field.name())
        }
    }
}

impl Visit for QuotingVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.write(field, value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn stdfmt::Debug) {
        let mut text = String::new();
        if write!(text, "{value:?}").is_err() {
            self.result = Err(stdfmt::Error);
            return;
        }
        self.write(field, &text);
    }
}

impl VisitOutput<stdfmt::Result> for QuotingVisitor<'_> {
    fn finish(self) -> stdfmt::Result {
        self.result
    }
}

impl VisitFmt for QuotingVisitor<'_> {
    fn writer(&mut self) -> &mut dyn stdfmt::Write {
        &mut self.writer
    }
}

/// For tests: logs to the test writer when `TEST_LOG` is set, otherwise stays silent.
pub fn init_for_tests() {
    if std::env::var_os("TEST_LOG").is_some() {
        let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
        let _ = tracing_subscriber::registry()
            .with(filter)
            .with(fmt::layer().with_test_writer())
            .try_init();
    }
}

/// Upper bounds (seconds) of the HTTP latency histogram buckets: fine-grained below 10 ms,
/// where the services normally answer.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Installs the process-wide Prometheus recorder (once; later calls return the same handle)
/// and describes the metrics every service records.
pub fn install_metrics() -> metrics_exporter_prometheus::PrometheusHandle {
    static HANDLE: std::sync::OnceLock<metrics_exporter_prometheus::PrometheusHandle> = std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let handle = metrics_exporter_prometheus::PrometheusBuilder::new()
                .set_buckets_for_metric(
                    metrics_exporter_prometheus::Matcher::Full("http_request_duration_seconds".into()),
                    LATENCY_BUCKETS,
                )
                .expect("bucket list is not empty")
                .install_recorder()
                .expect("no other metrics recorder is installed");
            // Recorded histogram samples are drained into their buckets by upkeep; without it
            // they pile up between scrapes (or forever, when nothing scrapes).
            let upkeep = handle.clone();
            std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(std::time::Duration::from_secs(5));
                        upkeep.run_upkeep();
                    }
                })
                .expect("spawn the metrics upkeep thread");
            metrics::describe_counter!("http_requests_total", "HTTP requests by method, route and status");
            metrics::describe_histogram!(
                "http_request_duration_seconds",
                metrics::Unit::Seconds,
                "HTTP request latency by method and route"
            );
            handle
        })
        .clone()
}

/// What a metric is, for its `# TYPE` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    Counter,
    Gauge,
    Histogram,
}

/// Describes a service's own metrics (name, kind, `# HELP` text) to the process-wide recorder,
/// installing it first if need be, so that every metric the service exposes says what it
/// counts.
pub fn describe_metrics(metrics: &[(&'static str, MetricKind, &'static str)]) {
    install_metrics();
    for &(name, kind, help) in metrics {
        match kind {
            MetricKind::Counter => metrics::describe_counter!(name, help),
            MetricKind::Gauge => metrics::describe_gauge!(name, help),
            MetricKind::Histogram => metrics::describe_histogram!(name, help),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// A caller's text that would write a field, a span end and an error of its own.
    const HOSTILE: &str = "x order_id=forged} ERROR \n2026-12-07 ERROR forged line";

    /// What `layer` writes for a warning with a hostile customer id inside a span with a
    /// hostile request id.
    fn logged(json: bool) -> String {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = buffer.clone();
        let writer = move || Sink(sink.clone());
        let subscriber = tracing_subscriber::registry();
        let emit = || {
            let span = tracing::info_span!("request", request_id = %HOSTILE);
            let _entered = span.enter();
            tracing::warn!(customer_id = %HOSTILE, subject = HOSTILE, order_id = "real-1", "order created");
        };
        if json {
            let layer = fmt::layer()
                .json()
                .flatten_event(true)
                .with_current_span(true)
                .with_writer(writer);
            tracing::subscriber::with_default(subscriber.with(layer), emit);
        } else {
            let layer = fmt::layer()
                .fmt_fields(QuotedFields)
                .with_ansi(false)
                .with_writer(writer);
            tracing::subscriber::with_default(subscriber.with(layer), emit);
        }
        String::from_utf8(buffer.lock().unwrap().clone()).unwrap()
    }

    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_callers_text_stays_one_quoted_field_in_the_text_format() {
        let line = logged(false);
        assert_eq!(line.lines().count(), 1, "one line: {line}");
        let quoted = format!("{HOSTILE:?}");
        assert!(line.contains(&format!("customer_id={quoted}")), "{line}");
        assert!(line.contains(&format!("subject={quoted}")), "{line}");
        assert!(line.contains(&format!("request{{request_id={quoted}}}:")), "{line}");
        assert!(
            line.contains(" order_id=real-1"),
            "a plain value is written as it is: {line}"
        );
        // Outside the quoted values, the only fields are the real ones.
        let unquoted: String = line.split('"').step_by(2).collect();
        assert_eq!(unquoted.matches("order_id=").count(), 1, "{unquoted}");
        assert!(!unquoted.contains("ERROR"), "{unquoted}");
    }

    #[test]
    fn a_callers_text_is_one_json_string_in_the_json_format() {
        let line = logged(true);
        assert_eq!(line.lines().count(), 1, "one line: {line}");
        let event: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
        assert_eq!(event["customer_id"], HOSTILE);
        assert_eq!(event["subject"], HOSTILE);
        assert_eq!(event["order_id"], "real-1");
        assert_eq!(event["span"]["request_id"], HOSTILE);
    }

    #[test]
    fn only_plain_values_go_unquoted() {
        for plain in ["cust-7", "0193a5c2-7f4e", "a.b:c/d@e+f_g", "42"] {
            assert!(is_plain(plain), "{plain}");
        }
        for quoted in ["", "a b", "a=b", "a}", "a\"b", "é", "a\nb"] {
            assert!(!is_plain(quoted), "{quoted:?}");
        }
    }
}
