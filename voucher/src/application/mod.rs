//! The application core: the domain (every rule), the ports the use cases and consumers
//! need, and the use cases themselves. Knows nothing of HTTP, SQL or Redis.

pub mod domain;
pub mod ports;
pub mod usecases;
