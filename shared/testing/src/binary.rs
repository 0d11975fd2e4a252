//! Running a service binary itself, as a deployment would: for configuration tests.

use std::process::{Command, Output};

/// Runs `binary` with `args` where no `.env` can be found, with nothing inherited from this
/// process but `PATH`, and with `vars` set.
pub fn run_binary(binary: &str, args: &[&str], vars: &[(&str, &str)]) -> Output {
    let dir = std::env::temp_dir().join(format!("checkout-cli-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("create an empty working directory");
    let output = Command::new(binary)
        .args(args)
        .current_dir(&dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(vars.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("run {binary}: {e}"));
    let _ = std::fs::remove_dir(&dir);
    output
}

/// Runs `binary serve` with `vars`, asserts that it refused to start, and returns its stderr.
pub fn refused_start(binary: &str, vars: &[(&str, &str)]) -> String {
    let output = run_binary(binary, &["serve"], vars);
    assert!(!output.status.success(), "{binary} started with {vars:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}
