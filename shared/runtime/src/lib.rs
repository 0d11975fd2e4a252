//! Process plumbing every service binary needs: settings from the command line and the
//! environment ([`config`]), logs and the metrics recorder ([`telemetry`]), retry back-off
//! ([`backoff`]), error cause chains ([`error`]), loopback addresses ([`net`]), the storage
//! failure repository ports report ([`RepositoryError`]), shutdown on a signal, and the
//! readiness checks of dependencies ([`DependencyCheck`]).
#![forbid(unsafe_code)]

pub mod backoff;
pub mod config;
pub mod error;
pub mod net;
mod repository;
pub mod telemetry;

pub use repository::{BoxError, RepositoryError};

use tokio_util::sync::CancellationToken;

/// Something the service needs in order to do its work, checked by `/ready`.
#[async_trait::async_trait]
pub trait DependencyCheck: Send + Sync {
    /// Short name shown in the readiness report, e.g. `database`.
    fn name(&self) -> &'static str;
    /// Succeeds when the dependency answers.
    async fn check(&self) -> Result<(), String>;
}

/// A token cancelled on the first SIGINT or SIGTERM.
pub fn shutdown_on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let trigger = token.clone();
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .expect("install the SIGTERM handler");
            tokio::select! {
                _ = ctrl_c => tracing::info!("SIGINT received; shutting down"),
                _ = term.recv() => tracing::info!("SIGTERM received; shutting down"),
            }
        }
        #[cfg(not(unix))]
        {
            let _ = ctrl_c.await;
            tracing::info!("interrupt received; shutting down");
        }
        trigger.cancel();
    });
    token
}
