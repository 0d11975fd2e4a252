/// The value of the unlabelled series `name` in a Prometheus text exposition (`/metrics`).
///
/// # Panics
/// The series is not there; the message shows the exposition.
pub fn metric(exposition: &str, name: &str) -> f64 {
    exposition
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name} in /metrics:\n{exposition}"))
}

/// Asserts that the group-commit writes named `name` (histogram `<name>_batch_size`) wrote
/// at least `at_least` requests in fewer statements than requests; returns how many requests.
///
/// # Panics
/// Nothing was grouped, or fewer requests went through.
pub fn assert_grouped(exposition: &str, name: &str, at_least: f64) -> f64 {
    let batches = metric(exposition, &format!("{name}_batch_size_count"));
    let requests = metric(exposition, &format!("{name}_batch_size_sum"));
    assert!(
        requests >= at_least,
        "{requests} requests went through the {name} writers, expected {at_least}"
    );
    assert!(
        batches < requests,
        "{batches} statements for {requests} concurrent {name} requests: nothing was grouped"
    );
    requests
}
