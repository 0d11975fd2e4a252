//! The composition root: the only place where concrete adapters meet the use cases.

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use checkout_bus::RedisCheck;
use checkout_bus::consume::{
    ConsumerCheck, RedisDeadLetters, RedisStreamConsumer, StreamConsumerSettings, run_stream_consumer,
};
use checkout_bus::publish::{RedisStreamPublisher, Replicas};
use checkout_bus::{LazyConnection, RedisEndpoint, Transport, dead_letter_key};
use checkout_contract::events::ack_channel;
use checkout_contract::signing::EventVerifier;
use checkout_db::{DatabaseCheck, outbox::SeaOrmOutbox};
use checkout_http::{HealthApi, Listeners, admin_endpoint};
use checkout_outbox::{OutboxRepository as _, RelayEvents, RetryPolicy, run_outbox_relay};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::{
    api::{
        http,
        pubsub::{EventHandler, EventUseCases, PubSubBus, run_pubsub_consumer},
    },
    application::usecases::{GetVoucher, IssueVoucher, ListVouchers, RecordUsage},
    config::Settings,
    infrastructure::{
        events::{RedisAckPublisher, RedisSubscriber},
        repositories::SeaOrmVoucherRepository,
    },
};

/// The outbox relay of `voucher.issued`: batches, polling and leases as the order service's
/// defaults. It appends to a stream, so an event counts as delivered once Redis has it (and,
/// on a Redis Cluster, one replica).
const RELAY_BATCH_SIZE: u32 = 100;
const RELAY_POLL_INTERVAL: Duration = Duration::from_millis(250);
const RELAY_LEASE: Duration = Duration::from_secs(30);
const REPLICA_WAIT: Duration = Duration::from_millis(1_000);
/// How long published events stay in the outbox, for inspection.
const OUTBOX_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

/// A built voucher service, bound to its port but not yet serving or consuming.
pub struct Application {
    listeners: Listeners,
    relay: RelayEvents,
    outbox: Arc<SeaOrmOutbox>,
    outbox_written: Arc<Notify>,
    settings: Settings,
    use_cases: EventUseCases,
    events: Arc<EventVerifier>,
    redis: Arc<LazyConnection>,
    redis_endpoint: RedisEndpoint,
    consuming: Arc<ConsumerCheck>,
}

impl Application {
    /// Checks the authentication settings, connects to PostgreSQL, wires the use cases and
    /// binds the HTTP listener. Redis is opened by the consumer, which keeps retrying while
    /// Redis is down; so are the issuer's keys, by the first request that needs them.
    ///
    /// # Errors
    /// Authentication is not configured, the database cannot be reached or the address cannot
    /// be bound; the message says which, naming the variables to set.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        crate::api::metrics::describe();
        let verifier = settings.auth.verifier_at_start(&settings.auth_audience).await?;
        let events = Arc::new(settings.verify.verifier()?);
        tracing::info!(keys = events.len(), "events are accepted only signed by a trusted key");
        let db = settings.database().connect().await?;
        let redis_endpoint = settings.redis().endpoint("VOUCHER")?;
        let redis = Arc::new(LazyConnection::new(&redis_endpoint).context("REDIS_CA_FILE")?);

        let signer = Arc::new(settings.signing.signer()?);
        tracing::info!(kid = signer.kid(), "voucher events are signed");

        let vouchers = Arc::new(SeaOrmVoucherRepository::new(db.clone(), settings.db_writers as usize));
        let outbox_written = Arc::new(Notify::new());
        let issue_voucher = Arc::new(IssueVoucher::new(
            vouchers.clone(),
            settings.policy(),
            settings.validity(),
            outbox_written.clone(),
        ));
        let outbox = Arc::new(SeaOrmOutbox::new(db.clone()));
        let replicas = redis.is_cluster().then_some(Replicas {
            count: 1,
            timeout: REPLICA_WAIT,
        });
        let relay = RelayEvents::new(
            outbox.clone(),
            Arc::new(RedisStreamPublisher::new(
                redis.clone(),
                settings.events.voucher_issued_stream.clone(),
                signer,
                replicas,
            )),
            RELAY_BATCH_SIZE,
            RetryPolicy::fixed(RELAY_LEASE),
        );
        let consuming = Arc::new(ConsumerCheck::default());
        // Ready means able to consume: the database, Redis and a running consumer.
        let health = HealthApi::new(
            vec![
                Arc::new(DatabaseCheck(db)),
                Arc::new(RedisCheck(redis.clone())),
                consuming.clone(),
            ],
            vec![],
        );
        let use_cases = EventUseCases {
            issue_voucher,
            record_usage: RecordUsage::new(vouchers.clone()),
        };
        let endpoint = http::endpoint(
            ListVouchers::new(vouchers.clone()),
            GetVoucher::new(vouchers.clone()),
            verifier,
            &settings.http_limits,
        );

        let admin = admin_endpoint(health, "Voucher service");
        #[cfg(feature = "profiling")]
        let admin = checkout_http::profiling::with_flamegraph(admin);
        let listeners = Listeners::bind(&settings.http(), "VOUCHER", endpoint, admin).await?;
        Ok(Self {
            listeners,
            relay,
            outbox,
            outbox_written,
            settings,
            use_cases,
            events,
            redis,
            redis_endpoint,
            consuming,
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

    /// Serves HTTP and consumes events until `shutdown` is cancelled, then stops taking
    /// connections, lets in-flight requests and events finish, and returns.
    ///
    /// # Errors
    /// The HTTP server failed.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> std::io::Result<()> {
        let relay = tokio::spawn(run_outbox_relay(
            self.relay,
            self.outbox_written,
            RELAY_POLL_INTERVAL,
            shutdown.clone(),
        ));
        let purge = tokio::spawn(purge_published(self.outbox, shutdown.clone()));
        let consumer = tokio::spawn(consume(
            self.settings,
            self.use_cases,
            self.events,
            self.redis,
            self.redis_endpoint,
            self.consuming,
            shutdown.clone(),
        ));
        tracing::info!(
            port = self.listeners.port(),
            admin_port = self.listeners.admin_port(),
            "voucher service listening"
        );
        let served = self.listeners.serve(shutdown.clone()).await;
        shutdown.cancel();
        if let Err(e) = consumer.await {
            tracing::error!(error.message = %e, "event consumer task failed");
        }
        if let Err(e) = relay.await {
            tracing::error!(error.message = %e, "outbox relay task failed");
        }
        let _ = purge.await;
        tracing::info!("voucher service stopped");
        served
    }
}

/// Every hour until `shutdown`, deletes the events published more than a week ago.
async fn purge_published(outbox: Arc<SeaOrmOutbox>, shutdown: CancellationToken) {
    let mut every_hour = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = every_hour.tick() => match outbox.purge_published(OUTBOX_RETENTION).await {
                Ok(purged) => tracing::info!(outbox_events = purged, "housekeeping done"),
                Err(e) => tracing::warn!(error.message = %checkout_runtime::error::Chain(&e), "housekeeping failed; trying again in an hour"),
            },
        }
    }
}

async fn consume(
    settings: Settings,
    use_cases: EventUseCases,
    events: Arc<EventVerifier>,
    redis: Arc<LazyConnection>,
    endpoint: RedisEndpoint,
    consuming: Arc<ConsumerCheck>,
    shutdown: CancellationToken,
) {
    let handler = Arc::new(EventHandler::new(
        use_cases,
        events,
        settings.max_deliveries,
        shutdown.clone(),
    ));
    let dead_letters = RedisDeadLetters::new(
        redis.clone(),
        dead_letter_key(&settings.events.order_sent_channel),
        settings.dead_letter_max_len,
    );
    match settings.events.event_transport {
        Transport::PubSub => {
            let channel = &settings.events.order_sent_channel;
            let bus = PubSubBus {
                subscriber: Arc::new(RedisSubscriber::new(
                    endpoint,
                    channel.clone(),
                    settings.consumer_queue as usize,
                )),
                dead_letters: Arc::new(dead_letters),
                acks: Arc::new(RedisAckPublisher::new(redis, ack_channel(channel))),
            };
            run_pubsub_consumer(
                bus,
                settings.consumer_concurrency as usize,
                handler,
                consuming,
                shutdown,
            )
            .await
        }
        Transport::Streams => {
            let consumer = match RedisStreamConsumer::new(
                &endpoint,
                settings.events.order_sent_channel.clone(),
                settings.consumer_group.clone(),
                settings.consumer_name.clone(),
                settings.claim_idle(),
                dead_letters,
            ) {
                Ok(consumer) => consumer,
                // `build` opened the same endpoint: its TLS settings were readable then.
                Err(e) => {
                    tracing::error!(error.message = %checkout_runtime::error::Chain(&e), "cannot open the stream consumer's connection");
                    return;
                }
            };
            let tuning = StreamConsumerSettings {
                batch_size: settings.consumer_batch as usize,
                concurrency: settings.consumer_concurrency as usize,
                max_deliveries: u64::from(settings.max_deliveries),
                claim_interval: settings.claim_idle() / 2,
                trim_interval: Duration::from_secs(30),
            };
            run_stream_consumer("order.sent", Arc::new(consumer), handler, tuning, consuming, shutdown).await
        }
    }
}
