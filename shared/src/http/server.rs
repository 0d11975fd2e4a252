use std::time::Duration;

use poem::{
    Server,
    endpoint::BoxEndpoint,
    listener::{Acceptor, Listener, TcpAcceptor, TcpListener},
};
use tokio_util::sync::CancellationToken;

/// How long in-flight requests get to finish after a shutdown signal.
const GRACE_PERIOD: Duration = Duration::from_secs(8);

/// An HTTP endpoint bound to its address, not yet serving.
pub struct HttpServer {
    acceptor: TcpAcceptor,
    port: u16,
    endpoint: BoxEndpoint<'static>,
}

impl HttpServer {
    /// Binds `host:port` (port 0 picks a free one).
    ///
    /// # Errors
    /// The address cannot be bound; the message names it and `settings`, the variables
    /// that configure it.
    pub async fn bind(host: &str, port: u16, settings: &str, endpoint: BoxEndpoint<'static>) -> std::io::Result<Self> {
        let address = format!("{host}:{port}");
        let context =
            |e: std::io::Error| std::io::Error::new(e.kind(), format!("cannot listen on {address} ({settings}): {e}"));
        let acceptor = TcpListener::bind(address.clone())
            .into_acceptor()
            .await
            .map_err(context)?;
        let port = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().map(|s| s.port()))
            .ok_or_else(|| context(std::io::Error::other("listener has no socket address")))?;
        Ok(Self {
            acceptor,
            port,
            endpoint,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until `shutdown` is cancelled, then stops accepting connections and gives
    /// in-flight requests up to 8 s to finish.
    ///
    /// # Errors
    /// The server failed.
    pub async fn serve(self, shutdown: CancellationToken) -> std::io::Result<()> {
        Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(self.endpoint, shutdown.cancelled_owned(), Some(GRACE_PERIOD))
            .await
    }
}
