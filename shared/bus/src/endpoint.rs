use redis::{
    Client, ConnectionAddr, ConnectionInfo, IntoConnectionInfo, ProtocolVersion, RedisResult, TlsCertificates,
    cluster::{ClusterClient, ClusterClientBuilder},
};

use super::connection::{CONNECTION_TIMEOUT, RESPONSE_TIMEOUT};

/// Why a Redis URL and CA cannot be used. No message holds the URL or a password.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    #[error("not a usable Redis URL: {0}")]
    Url(String),
    #[error("set, but the URL does not use TLS (`rediss://`)")]
    CaWithoutTls,
    #[error("holds no usable certificate{0}")]
    Ca(String),
}

/// A checked Redis address with its credentials and, for TLS, the CA it trusts: one server,
/// or the seed nodes of a Redis Cluster. Cheap to clone; every connection of a service is
/// opened from it.
#[derive(Clone)]
pub struct RedisEndpoint {
    /// One node: a single server. Several: seeds of a cluster, which tells the rest.
    nodes: Vec<ConnectionInfo>,
    tls: Option<TlsCertificates>,
}

/// Names the addresses only: the credentials stay out of logs.
impl std::fmt::Debug for RedisEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let addrs: Vec<_> = self.nodes.iter().map(|n| n.addr().to_string()).collect();
        f.debug_struct("RedisEndpoint")
            .field("addrs", &addrs)
            .field("user", &self.nodes[0].redis_settings().username())
            .field("cluster", &self.is_cluster())
            .finish_non_exhaustive()
    }
}

impl RedisEndpoint {
    /// `url` with `password` (if given) replacing the URL's, trusting only the CA of
    /// `root_cert` (PEM) for `rediss://` if given. Several comma-separated URLs name the seed
    /// nodes of a Redis Cluster; they must agree on the user and on TLS.
    ///
    /// # Errors
    /// A URL does not parse, or `root_cert` is given for a URL without TLS. The message
    /// holds neither the URL nor the password.
    pub fn new(url: &str, password: Option<String>, root_cert: Option<Vec<u8>>) -> Result<Self, EndpointError> {
        let nodes = url
            .split(',')
            .map(str::trim)
            .filter(|node| !node.is_empty())
            .map(|node| node_info(node, password.as_deref(), root_cert.is_some()))
            .collect::<Result<Vec<_>, _>>()?;
        if nodes.is_empty() {
            return Err(EndpointError::Url("no address given".to_owned()));
        }
        // redis-rs would take a file without any certificate as an empty set of roots.
        if root_cert
            .as_ref()
            .is_some_and(|pem| !String::from_utf8_lossy(pem).contains("-----BEGIN CERTIFICATE-----"))
        {
            return Err(EndpointError::Ca(" (no PEM certificate in it)".to_owned()));
        }
        let endpoint = Self {
            nodes,
            tls: root_cert.map(|root_cert| TlsCertificates {
                client_tls: None,
                root_cert: Some(root_cert),
            }),
        };
        if endpoint.is_cluster() {
            endpoint
                .cluster_client(ProtocolVersion::RESP2)
                .map_err(|e| EndpointError::Url(format!("the cluster's seed nodes do not agree: {e}")))?;
        } else {
            endpoint.client().map_err(|e| EndpointError::Ca(format!(": {e}")))?;
        }
        Ok(endpoint)
    }

    #[cfg(test)]
    pub(super) fn node(&self, index: usize) -> &ConnectionInfo {
        &self.nodes[index]
    }

    /// Whether this names a Redis Cluster (several seed nodes).
    pub fn is_cluster(&self) -> bool {
        self.nodes.len() > 1
    }

    /// A client of the single server, speaking RESP2.
    ///
    /// # Errors
    /// The CA file holds no usable certificate.
    pub(super) fn client(&self) -> RedisResult<Client> {
        self.client_with(self.nodes[0].clone())
    }

    /// A client of the single server, speaking RESP3 (for pub/sub pushes).
    pub(super) fn resp3_client(&self) -> RedisResult<Client> {
        let info = &self.nodes[0];
        let settings = info.redis_settings().clone().set_protocol(ProtocolVersion::RESP3);
        self.client_with(info.clone().set_redis_settings(settings))
    }

    fn client_with(&self, info: ConnectionInfo) -> RedisResult<Client> {
        match &self.tls {
            Some(certificates) => Client::build_with_tls(info, certificates.clone()),
            None => Client::open(info),
        }
    }

    /// A builder of cluster clients over the seed nodes, with the service's timeouts: commands
    /// fail fast (callers retry from their own durable state); MOVED redirections and
    /// failovers are followed by the client.
    pub(super) fn cluster_builder(&self, protocol: ProtocolVersion) -> ClusterClientBuilder {
        let mut builder = ClusterClientBuilder::new(self.nodes.clone())
            .use_protocol(protocol)
            .connection_timeout(CONNECTION_TIMEOUT)
            .response_timeout(RESPONSE_TIMEOUT)
            .retries(3)
            .min_retry_wait(50)
            .max_retry_wait(1_000);
        if let Some(certificates) = &self.tls {
            builder = builder.certs(certificates.clone());
        }
        builder
    }

    pub(super) fn cluster_client(&self, protocol: ProtocolVersion) -> RedisResult<ClusterClient> {
        self.cluster_builder(protocol).build()
    }
}

/// One node's checked address, with `password` replacing the URL's if given.
fn node_info(url: &str, password: Option<&str>, has_ca: bool) -> Result<ConnectionInfo, EndpointError> {
    let info = url
        .into_connection_info()
        .map_err(|e| EndpointError::Url(e.to_string()))?;
    match info.addr() {
        ConnectionAddr::TcpTls { insecure: true, .. } => {
            return Err(EndpointError::Url(
                "certificate verification cannot be turned off".to_owned(),
            ));
        }
        ConnectionAddr::TcpTls { .. } => {}
        _ if has_ca => return Err(EndpointError::CaWithoutTls),
        ConnectionAddr::Tcp(host, _) if !checkout_runtime::net::is_loopback(host) => {
            return Err(EndpointError::Url(format!(
                "the connection to {host} would not be encrypted: use rediss://; only this machine \
                 may be reached without TLS"
            )));
        }
        _ => {}
    }
    // No CLIENT SETINFO on connect: one command less that the services' Redis users need.
    let mut settings = info.redis_settings().clone().set_skip_set_lib_name();
    if let Some(password) = password {
        settings = settings.set_password(password);
    }
    Ok(info.set_redis_settings(settings))
}
