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

/// Asserts that every metric family in `exposition` has `# HELP` and `# TYPE`.
pub fn assert_every_metric_is_described(exposition: &str) {
    let named = |prefix: &str| -> Vec<String> {
        exposition
            .lines()
            .filter_map(|l| l.strip_prefix(prefix))
            .filter_map(|l| l.split_whitespace().next())
            .map(str::to_owned)
            .collect()
    };
    let (helped, typed) = (named("# HELP "), named("# TYPE "));
    let mut undescribed = Vec::new();
    for line in exposition
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let sample = line.split(['{', ' ']).next().unwrap_or_default();
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| sample.strip_suffix(suffix).filter(|f| typed.iter().any(|t| t == f)))
            .unwrap_or(sample);
        if !typed.iter().any(|t| t == family) || !helped.iter().any(|h| h == family) {
            undescribed.push(family.to_owned());
        }
    }
    undescribed.dedup();
    assert!(
        undescribed.is_empty(),
        "without # HELP or # TYPE: {undescribed:?}\n{exposition}"
    );
}
