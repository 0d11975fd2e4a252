//! The HTTP server: poem endpoints served by hyper, with the limits poem's own server does
//! not offer (a header read timeout, a cap on connections).

use std::{net::SocketAddr, sync::Arc, time::Duration};

use poem::endpoint::BoxEndpoint;
use tokio::{net::TcpListener, sync::Semaphore};
use tokio_util::sync::CancellationToken;

use super::connection::serve_connection;

/// How long in-flight requests get to finish after a shutdown signal.
const GRACE_PERIOD: Duration = Duration::from_secs(8);

/// What each connection is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Time to send a request's headers (HTTP/1), counted from when the server starts
    /// waiting for them: a connection that is slower, or idle between requests for longer,
    /// is closed.
    pub header_timeout: Duration,
    /// Time a connection may pass without a byte either way while no request is in flight.
    pub idle_timeout: Duration,
    /// Connections served at once; while all are taken, new ones wait in the listen backlog.
    pub max_connections: usize,
}

/// An HTTP endpoint bound to its address, not yet serving.
pub struct HttpServer {
    listener: TcpListener,
    local: SocketAddr,
    endpoint: Arc<BoxEndpoint<'static>>,
    limits: ConnectionLimits,
}

impl HttpServer {
    /// Binds `host:port` (port 0 picks a free one).
    ///
    /// # Errors
    /// The address cannot be bound; the message names it and `settings`, the variables
    /// that configure it.
    pub async fn bind(
        host: &str,
        port: u16,
        settings: &str,
        endpoint: BoxEndpoint<'static>,
        limits: ConnectionLimits,
    ) -> std::io::Result<Self> {
        let context = |e: std::io::Error| {
            std::io::Error::new(
                e.kind(),
                format!("cannot listen on {host} port {port} ({settings}): {e}"),
            )
        };
        // A (host, port) pair, so that an IPv6 address such as `::1` needs no brackets.
        let listener = TcpListener::bind((host, port)).await.map_err(context)?;
        let local = listener.local_addr().map_err(context)?;
        Ok(Self {
            listener,
            local,
            endpoint: Arc::new(endpoint),
            limits,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.local.port()
    }

    /// Serves until `shutdown` is cancelled, then stops accepting connections and gives
    /// in-flight requests up to 8 s to finish.
    ///
    /// # Errors
    /// None so far: a failed accept is logged and retried.
    pub async fn serve(self, shutdown: CancellationToken) -> std::io::Result<()> {
        let max = self.limits.max_connections.clamp(1, Semaphore::MAX_PERMITS);
        let permits = Arc::new(Semaphore::new(max));
        let abort = CancellationToken::new();
        tracing::info!(address = %self.local, "listening");
        loop {
            // A permit first: at the cap, clients wait in the backlog, not in our memory.
            let permit = tokio::select! {
                () = shutdown.cancelled() => break,
                permit = permits.clone().acquire_owned() => permit.map_err(std::io::Error::other)?,
            };
            let (stream, remote) = tokio::select! {
                () = shutdown.cancelled() => break,
                accepted = self.listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors, say: wait a little instead of spinning.
                        tracing::warn!(error.message = %e, "cannot accept a connection");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let endpoint = self.endpoint.clone();
            let (local, limits, shutdown, abort) = (self.local, self.limits, shutdown.clone(), abort.clone());
            tokio::spawn(async move {
                serve_connection(stream, local, remote, endpoint, limits, shutdown, abort).await;
                drop(permit);
            });
        }
        drop(self.listener);
        // Each connection holds a permit until it is closed: all permits back, all closed.
        let all = u32::try_from(max).unwrap_or(u32::MAX);
        if tokio::time::timeout(GRACE_PERIOD, permits.acquire_many(all))
            .await
            .is_err()
        {
            tracing::warn!("closing the connections still open after the grace period");
            abort.cancel();
        }
        Ok(())
    }
}

/// A service's two listeners: the API on `<SERVICE>_HTTP_HOST`/`_HTTP_PORT` and the probes and
/// metrics on `<SERVICE>_ADMIN_HOST`/`_ADMIN_PORT`, with the same connection limits.
pub struct Listeners {
    api: HttpServer,
    admin: HttpServer,
}

impl Listeners {
    /// Binds both addresses of `settings`; `service` is the variables' prefix (`ORDER`).
    ///
    /// # Errors
    /// An address cannot be bound; the message names its variables.
    pub async fn bind(
        settings: &crate::HttpSettings,
        service: &str,
        api: BoxEndpoint<'static>,
        admin: BoxEndpoint<'static>,
    ) -> std::io::Result<Self> {
        let limits = settings.limits.connections();
        let api_variables = format!("{service}_HTTP_HOST/{service}_HTTP_PORT");
        let admin_variables = format!("{service}_ADMIN_HOST/{service}_ADMIN_PORT");
        Ok(Self {
            api: HttpServer::bind(&settings.http_host, settings.http_port, &api_variables, api, limits).await?,
            admin: HttpServer::bind(
                &settings.admin_host,
                settings.admin_port,
                &admin_variables,
                admin,
                limits,
            )
            .await?,
        })
    }

    /// The API's bound port (useful when configured as 0).
    pub fn port(&self) -> u16 {
        self.api.port()
    }

    /// The admin listener's bound port.
    pub fn admin_port(&self) -> u16 {
        self.admin.port()
    }

    /// Serves both until `shutdown` is cancelled, then lets each finish as
    /// [`HttpServer::serve`] does.
    ///
    /// # Errors
    /// Either server failed.
    pub async fn serve(self, shutdown: CancellationToken) -> std::io::Result<()> {
        let (api, admin) = tokio::join!(self.api.serve(shutdown.clone()), self.admin.serve(shutdown));
        api.and(admin)
    }
}
