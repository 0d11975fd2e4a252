//! Correlation across the bus: the request id and the W3C trace context of the HTTP request
//! that caused an event travel inside it, so one order can be followed through both services.

/// Correlation of one request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TraceContext {
    /// The `x-request-id` of the request (the client's, or generated).
    pub request_id: Option<String>,
    /// A W3C `traceparent` (`00-<trace-id>-<parent-id>-<flags>`).
    pub traceparent: Option<String>,
}

impl TraceContext {
    /// The 32-hex-digit trace id inside `traceparent`, for log fields.
    pub fn trace_id(&self) -> Option<&str> {
        self.traceparent.as_deref().and_then(|tp| tp.get(3..35))
    }
}

/// `traceparent` as received if it is well-formed (version 00, non-zero ids), else a new one.
/// A received trace keeps its trace id and flags; this service becomes the new parent span.
pub fn continue_or_start(received: Option<&str>) -> String {
    let span_id = random_hex(8);
    match received.filter(|tp| is_valid(tp)) {
        Some(tp) => format!("00-{}-{span_id}-{}", &tp[3..35], &tp[53..55]),
        None => format!("00-{}-{span_id}-01", random_hex(16)),
    }
}

fn is_valid(tp: &str) -> bool {
    let parts: Vec<&str> = tp.split('-').collect();
    let hex =
        |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    matches!(parts.as_slice(), [version, trace, parent, flags]
        if *version == "00" && hex(trace, 32) && hex(parent, 16) && hex(flags, 2)
            && trace.bytes().any(|b| b != b'0') && parent.bytes().any(|b| b != b'0'))
}

fn random_hex(bytes: usize) -> String {
    // Trace and span ids need uniqueness, not secrecy: UUIDv4's random bits are plenty.
    let mut out = String::with_capacity(bytes * 2);
    while out.len() < bytes * 2 {
        out.push_str(&uuid::Uuid::new_v4().simple().to_string());
    }
    out.truncate(bytes * 2);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_traceparent_keeps_its_trace_id_and_gets_a_new_parent() {
        let received = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let continued = continue_or_start(Some(received));
        assert!(is_valid(&continued), "{continued}");
        assert_eq!(&continued[3..35], "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_ne!(&continued[36..52], "00f067aa0ba902b7");
    }

    #[test]
    fn a_missing_or_malformed_traceparent_starts_a_new_trace() {
        for received in [
            None,
            Some("garbage"),
            Some("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
        ] {
            let started = continue_or_start(received);
            assert!(is_valid(&started), "{started}");
        }
    }

    #[test]
    fn the_trace_id_is_read_from_the_traceparent() {
        let ctx = TraceContext {
            request_id: None,
            traceparent: Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".into()),
        };
        assert_eq!(ctx.trace_id(), Some("4bf92f3577b34da6a3ce929d0e0e4736"));
    }
}
