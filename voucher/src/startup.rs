//! The composition root: the only place where concrete adapters meet the use cases.

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use poem::{
    Server,
    listener::{Acceptor, Listener, TcpAcceptor, TcpListener},
};
use sea_orm::DatabaseConnection;
use shared::{
    http::{HealthApi, service_endpoint},
    probes::{DatabaseCheck, RedisCheck},
};
use tokio_util::sync::CancellationToken;

use crate::{
    api::{http::VoucherApi, pubsub::run_order_sent_consumer},
    application::usecases::{GetVoucher, IssueVoucher, ListVouchers, RedeemVoucher},
    config::Settings,
    infrastructure::{events::RedisSubscription, repositories::SeaOrmVoucherRepository},
};

/// How long in-flight requests get to finish after a shutdown signal.
const GRACE_PERIOD: Duration = Duration::from_secs(8);

/// Connects to the database named by `VOUCHER_DATABASE_URL`.
///
/// # Errors
/// The database cannot be reached.
pub async fn connect_database(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    shared::db::connect(&settings.database_url, settings.db_max_connections)
        .await
        .context("cannot connect to PostgreSQL at VOUCHER_DATABASE_URL")
}

/// A built voucher service, bound to its port and subscribed, but not yet serving.
pub struct Application {
    acceptor: TcpAcceptor,
    port: u16,
    endpoint: poem::endpoint::BoxEndpoint<'static>,
    subscription: RedisSubscription,
    issue_voucher: Arc<IssueVoucher>,
    consumer_concurrency: usize,
}

impl Application {
    /// Connects to PostgreSQL and Redis, subscribes to `order.sent`, wires the use cases and
    /// binds the HTTP listener.
    ///
    /// # Errors
    /// A dependency cannot be reached or the address cannot be bound; the message says which.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = connect_database(&settings).await?;
        let subscription = RedisSubscription::open(
            &settings.redis_url,
            &settings.order_sent_channel,
            settings.consumer_queue,
        )
        .await
        .context("cannot subscribe on Redis at REDIS_URL")?;

        let vouchers = Arc::new(SeaOrmVoucherRepository::new(db.clone()));
        let issue_voucher = Arc::new(IssueVoucher::new(vouchers.clone(), settings.policy.clone()));
        let api = VoucherApi::new(
            GetVoucher::new(vouchers.clone()),
            ListVouchers::new(vouchers.clone()),
            RedeemVoucher::new(vouchers),
        );
        let health = HealthApi::new(vec![
            Arc::new(DatabaseCheck(db)),
            Arc::new(RedisCheck(subscription.connection())),
        ]);
        let endpoint = service_endpoint(api, health, "Voucher service", settings.max_body_bytes);

        let address = format!("{}:{}", settings.http_host, settings.http_port);
        let acceptor = TcpListener::bind(address.clone())
            .into_acceptor()
            .await
            .with_context(|| {
                format!("cannot listen on {address} (VOUCHER_HTTP_HOST/VOUCHER_HTTP_PORT)")
            })?;
        let port = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().map(|s| s.port()))
            .context("listener has no socket address")?;
        Ok(Self {
            acceptor,
            port,
            endpoint,
            subscription,
            issue_voucher,
            consumer_concurrency: settings.consumer_concurrency,
        })
    }

    /// The port the HTTP listener is bound to (useful when configured as 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves HTTP and consumes events until `shutdown` is cancelled, then stops taking
    /// connections, lets in-flight requests and events finish, and returns.
    ///
    /// # Errors
    /// The HTTP server failed.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> std::io::Result<()> {
        let consumer = tokio::spawn(run_order_sent_consumer(
            self.subscription,
            self.issue_voucher,
            self.consumer_concurrency,
            shutdown.clone(),
        ));
        tracing::info!(port = self.port, "voucher service listening");
        let served = Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(
                self.endpoint,
                shutdown.clone().cancelled_owned(),
                Some(GRACE_PERIOD),
            )
            .await;
        shutdown.cancel();
        if let Err(e) = consumer.await {
            tracing::error!(error.message = %e, "event consumer task failed");
        }
        tracing::info!("voucher service stopped");
        served
    }
}
