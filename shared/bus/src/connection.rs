use std::time::Duration;

use redis::{
    Client, Cmd, ProtocolVersion, RedisFuture, RedisResult, Value,
    aio::{AsyncPushSender, ConnectionLike, ConnectionManager, ConnectionManagerConfig},
    cluster::ClusterClient,
    cluster_async::ClusterConnection,
};
use tokio::sync::OnceCell;

use super::RedisEndpoint;

pub(super) const CONNECTION_TIMEOUT: Duration = Duration::from_secs(2);
pub(super) const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);

/// A connection to the event bus: a managed connection to one server, or a cluster
/// connection that routes each command to the node of its key. Both reconnect by themselves;
/// cheap to clone (clones share the connection).
#[derive(Clone)]
pub enum BusConnection {
    Server(ConnectionManager),
    Cluster(ClusterConnection),
}

impl ConnectionLike for BusConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Server(conn) => conn.req_packed_command(cmd),
            Self::Cluster(conn) => conn.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Server(conn) => conn.req_packed_commands(pipeline, offset, count),
            Self::Cluster(conn) => conn.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Server(conn) => conn.get_db(),
            Self::Cluster(conn) => conn.get_db(),
        }
    }
}

impl BusConnection {
    /// Subscribes to `channel`; messages go to the connection's push sender.
    ///
    /// # Errors
    /// Redis refused or did not answer.
    pub async fn subscribe(&mut self, channel: &str) -> RedisResult<()> {
        match self {
            Self::Server(conn) => conn.subscribe(channel).await,
            Self::Cluster(conn) => conn.subscribe(channel).await,
        }
    }
}

enum BusClient {
    Server(Box<Client>),
    Cluster(Box<ClusterClient>),
}

/// A connection opened on first use, so a service can start while Redis is down. Once open,
/// it reconnects by itself; until then every use tries to open it.
pub struct LazyConnection {
    client: BusClient,
    conn: OnceCell<BusConnection>,
}

impl LazyConnection {
    /// # Errors
    /// The CA file holds no usable certificate (nothing is connected yet).
    pub fn new(endpoint: &RedisEndpoint) -> RedisResult<Self> {
        let client = if endpoint.is_cluster() {
            BusClient::Cluster(Box::new(endpoint.cluster_client(ProtocolVersion::RESP2)?))
        } else {
            BusClient::Server(Box::new(endpoint.client()?))
        };
        Ok(Self {
            client,
            conn: OnceCell::new(),
        })
    }

    /// Whether this connects to a Redis Cluster.
    pub fn is_cluster(&self) -> bool {
        matches!(self.client, BusClient::Cluster(_))
    }

    /// The connection, opening it if needed.
    ///
    /// # Errors
    /// Redis cannot be reached right now.
    pub async fn get(&self) -> RedisResult<BusConnection> {
        self.conn
            .get_or_try_init(|| async {
                Ok(match &self.client {
                    BusClient::Server(client) => {
                        BusConnection::Server(client.get_connection_manager_with_config(connection_config()).await?)
                    }
                    BusClient::Cluster(client) => BusConnection::Cluster(client.get_async_connection().await?),
                })
            })
            .await
            .cloned()
    }
}

/// Reconnect and timeout policy used for every connection to a single server: commands fail
/// fast (callers retry from their own durable state) and reconnects back off up to one second.
pub fn connection_config() -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_connection_timeout(Some(CONNECTION_TIMEOUT))
        .set_response_timeout(Some(RESPONSE_TIMEOUT))
        .set_min_delay(Duration::from_millis(50))
        .set_max_delay(Duration::from_secs(1))
        .set_number_of_retries(3)
}

/// Opens a RESP3 connection whose pub/sub messages are handed to `sender` and whose
/// subscriptions are restored by itself after a reconnect (on a cluster, also after the
/// subscribed node fails).
///
/// # Errors
/// Redis could not be reached, or refused the credentials, within the retry policy.
pub async fn connect_subscriber(endpoint: &RedisEndpoint, sender: impl AsyncPushSender) -> RedisResult<BusConnection> {
    if endpoint.is_cluster() {
        let client = endpoint
            .cluster_builder(ProtocolVersion::RESP3)
            .push_sender(sender)
            .build()?;
        return Ok(BusConnection::Cluster(client.get_async_connection().await?));
    }
    Ok(BusConnection::Server(
        endpoint
            .resp3_client()?
            .get_connection_manager_with_config(
                connection_config()
                    .set_push_sender(sender)
                    .set_automatic_resubscription(),
            )
            .await?,
    ))
}
