//! The composition root: the only place where concrete adapters meet the use cases.

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use checkout_bus::consume::{
    ConsumerCheck, RedisDeadLetters, RedisStreamConsumer, StreamConsumerSettings, run_stream_consumer,
};
use checkout_bus::publish::{RedisPubSubPublisher, RedisStreamPublisher, Replicas};
use checkout_bus::{LazyConnection, Transport};
use checkout_bus::{RedisCheck, dead_letter_key};
use checkout_contract::signing::EventSigner;
use checkout_contract::signing::EventVerifier;
use checkout_db::{DatabaseCheck, outbox::SeaOrmOutbox};
use checkout_http::{HealthApi, Listeners, admin_endpoint};
use checkout_outbox::{EventPublisher, RelayEvents, run_outbox_relay};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::{
    api::{
        http,
        pubsub::{VoucherIssuedHandler, run_ack_listener},
        workers::{run_catalog_refresh, run_housekeeping},
    },
    application::{
        ports::AckSubscriber,
        usecases::{
            AcknowledgeEvents, ChangeOrderStatus, CreateOrder, DeactivateProduct, GetOrder, GetProduct, ListOrders,
            ListProducts, PurgeExpired, PutProduct, RecordVoucher, RefreshCatalog,
        },
    },
    config::Settings,
    infrastructure::{
        events::RedisAckSubscriber,
        repositories::{MemoryCatalog, SeaOrmOrderRepository, SeaOrmProductRepository, SeaOrmVoucherRepository},
    },
};

fn publisher(settings: &Settings, redis: Arc<LazyConnection>, signer: Arc<EventSigner>) -> Arc<dyn EventPublisher> {
    let name = settings.events.order_sent_channel.clone();
    match settings.events.event_transport {
        Transport::PubSub => Arc::new(RedisPubSubPublisher::new(redis, name, signer)),
        Transport::Streams => {
            let default = u32::from(redis.is_cluster());
            let replicas = Some(settings.redis_wait_replicas.unwrap_or(default))
                .filter(|&count| count > 0)
                .map(|count| Replicas {
                    count,
                    timeout: Duration::from_millis(settings.redis_wait_timeout_ms),
                });
            tracing::info!(
                replicas = replicas.map_or(0, |r| r.count),
                "events count as delivered once this many Redis replicas have them"
            );
            Arc::new(RedisStreamPublisher::new(redis, name, signer, replicas))
        }
    }
}

/// In pub/sub, where the relay hears the voucher service's acknowledgements and what it
/// records them with.
struct AckListener {
    subscriber: Arc<dyn AckSubscriber>,
    acknowledge: AcknowledgeEvents,
}

/// How the `voucher.issued` stream is read: entries a dead replica left pending are taken
/// over after `VOUCHER_CLAIM_IDLE`; an entry delivered more than `MAX_DELIVERIES` times is
/// dead-lettered, and the dead-letter stream keeps the newest `DEAD_LETTER_MAX_LEN`.
const VOUCHER_CONSUMER_GROUP: &str = "order";
const VOUCHER_CLAIM_IDLE: Duration = Duration::from_secs(30);
const VOUCHER_MAX_DELIVERIES: u64 = 5;
const DEAD_LETTER_MAX_LEN: u64 = 100_000;

/// What reads the vouchers the voucher service announces.
struct VoucherConsumer {
    consumer: Arc<RedisStreamConsumer>,
    record: RecordVoucher,
    keys: Arc<EventVerifier>,
    consuming: Arc<ConsumerCheck>,
}

/// A built order service, bound to its port but not yet serving.
pub struct Application {
    listeners: Listeners,
    vouchers: VoucherConsumer,
    relay: RelayEvents,
    acks: Option<AckListener>,
    outbox_written: Arc<Notify>,
    relay_poll_interval: Duration,
    purge: PurgeExpired,
    refresh_catalog: RefreshCatalog,
    catalog_refresh_interval: Duration,
}

impl Application {
    /// Connects to PostgreSQL and Redis, wires the use cases and binds the HTTP listener.
    ///
    /// # Errors
    /// A dependency cannot be reached or the address cannot be bound; the message says which.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        crate::api::metrics::describe();
        let verifier = settings.auth.verifier_at_start(&settings.auth_audience).await?;
        let signer = Arc::new(settings.signing.signer()?);
        tracing::info!(kid = signer.kid(), "events are signed");
        let voucher_keys = Arc::new(settings.voucher_keys.verifier()?);
        tracing::info!(
            keys = voucher_keys.len(),
            "voucher events are accepted only signed by the voucher service"
        );
        let db = settings.database().connect().await?;
        // Redis is opened on first use: the service takes orders while Redis is down, and
        // their events wait in the outbox until it is back.
        let endpoint = settings.redis().endpoint("ORDER")?;
        let redis = Arc::new(LazyConnection::new(&endpoint).context("REDIS_CA_FILE")?);
        let consumer_endpoint = endpoint.clone();

        let outbox_written = Arc::new(Notify::new());
        let outbox = Arc::new(SeaOrmOutbox::new(db.clone()));
        let orders = Arc::new(SeaOrmOrderRepository::new(db.clone(), settings.db_writers as usize));
        let voucher_copy = Arc::new(SeaOrmVoucherRepository::new(db.clone()));
        let purge = PurgeExpired::new(outbox.clone(), orders.clone(), settings.outbox_retention());
        let acks = (settings.events.event_transport == Transport::PubSub).then(|| AckListener {
            subscriber: Arc::new(RedisAckSubscriber::new(
                endpoint,
                checkout_contract::events::ack_channel(&settings.events.order_sent_channel),
            )),
            acknowledge: AcknowledgeEvents::new(outbox.clone()),
        });
        let relay = RelayEvents::new(
            outbox,
            publisher(&settings, redis.clone(), signer),
            settings.relay_batch_size,
            settings.relay_lease(),
        );
        let stream = settings.events.voucher_issued_stream.clone();
        let vouchers = VoucherConsumer {
            consumer: Arc::new(
                RedisStreamConsumer::new(
                    &consumer_endpoint,
                    stream.clone(),
                    VOUCHER_CONSUMER_GROUP.to_owned(),
                    settings.consumer_name.clone(),
                    VOUCHER_CLAIM_IDLE,
                    RedisDeadLetters::new(redis.clone(), dead_letter_key(&stream), DEAD_LETTER_MAX_LEN),
                )
                .context("REDIS_CA_FILE")?,
            ),
            record: RecordVoucher::new(voucher_copy.clone()),
            keys: voucher_keys,
            consuming: Arc::new(ConsumerCheck::default()),
        };
        let health = HealthApi::new(
            // Orders are taken while Redis is down (their events wait in the outbox), so a
            // load balancer keeps sending them; Redis and the voucher consumer are reported,
            // not required.
            vec![Arc::new(DatabaseCheck(db.clone()))],
            vec![Arc::new(RedisCheck(redis)), vouchers.consuming.clone()],
        );
        let products = Arc::new(SeaOrmProductRepository::new(db.clone()));
        let catalog = Arc::new(MemoryCatalog::default());
        let refresh_catalog = RefreshCatalog::new(products.clone(), catalog.clone());
        // Orders are priced from the copy in memory: it is loaded before the first request.
        refresh_catalog.execute().await.context("loading the catalog")?;
        let use_cases = http::UseCases {
            list_products: ListProducts::new(products.clone()),
            get_product: GetProduct::new(products.clone()),
            put_product: PutProduct::new(products.clone(), refresh_catalog.clone()),
            deactivate_product: DeactivateProduct::new(products, refresh_catalog.clone()),
            create_order: CreateOrder::new(orders.clone(), catalog, voucher_copy, outbox_written.clone()),
            get_order: GetOrder::new(orders.clone()),
            list_orders: ListOrders::new(orders.clone()),
            change_order_status: ChangeOrderStatus::new(orders, outbox_written.clone()),
        };
        let endpoint = http::endpoint(use_cases, verifier, &settings.http_limits);

        let admin = admin_endpoint(health, "Order service");
        #[cfg(feature = "profiling")]
        let admin = checkout_http::profiling::with_flamegraph(admin);
        let listeners = Listeners::bind(&settings.http(), "ORDER", endpoint, admin).await?;
        Ok(Self {
            listeners,
            vouchers,
            relay,
            acks,
            purge,
            outbox_written,
            relay_poll_interval: settings.relay_poll_interval(),
            refresh_catalog,
            catalog_refresh_interval: settings.catalog_refresh_interval(),
        })
    }

    /// The port the HTTP listener is bound to (useful when configured as 0).
    pub fn port(&self) -> u16 {
        self.listeners.port()
    }

    /// The port of the admin listener (`/health`, `/ready`, `/metrics`).
    pub fn admin_port(&self) -> u16 {
        self.listeners.admin_port()
    }

    /// Serves HTTP and runs the outbox relay until `shutdown` is cancelled, then stops taking
    /// connections, lets in-flight requests and the relay's current round finish, and returns.
    ///
    /// # Errors
    /// The HTTP server failed.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> std::io::Result<()> {
        let housekeeping = tokio::spawn(run_housekeeping(self.purge, shutdown.clone()));
        let catalog_refresh = tokio::spawn(run_catalog_refresh(
            self.refresh_catalog,
            self.catalog_refresh_interval,
            shutdown.clone(),
        ));
        let acks = self
            .acks
            .map(|acks| tokio::spawn(run_ack_listener(acks.subscriber, acks.acknowledge, shutdown.clone())));
        let VoucherConsumer {
            consumer,
            record,
            keys,
            consuming,
        } = self.vouchers;
        let handler = Arc::new(VoucherIssuedHandler::new(record, keys, shutdown.clone()));
        let tuning = StreamConsumerSettings {
            batch_size: 64,
            concurrency: 8,
            max_deliveries: VOUCHER_MAX_DELIVERIES,
            claim_interval: VOUCHER_CLAIM_IDLE / 2,
            trim_interval: Duration::from_secs(30),
        };
        let stop = shutdown.clone();
        let voucher_consumer = tokio::spawn(async move {
            run_stream_consumer("voucher.issued", consumer, handler, tuning, consuming, stop).await
        });
        let relay = tokio::spawn(run_outbox_relay(
            self.relay,
            self.outbox_written,
            self.relay_poll_interval,
            shutdown.clone(),
        ));
        tracing::info!(
            port = self.listeners.port(),
            admin_port = self.listeners.admin_port(),
            "order service listening"
        );
        let served = self.listeners.serve(shutdown.clone()).await;
        shutdown.cancel();
        if let Err(e) = relay.await {
            tracing::error!(error.message = %e, "outbox relay task failed");
        }
        let _ = housekeeping.await;
        let _ = voucher_consumer.await;
        let _ = catalog_refresh.await;
        if let Some(acks) = acks {
            let _ = acks.await;
        }
        tracing::info!("order service stopped");
        served
    }
}
