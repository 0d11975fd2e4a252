//! The application core: the domain (every rule), the events it emits, the ports the use
//! cases and consumers need, and the use cases themselves. Knows nothing of HTTP, SQL or Redis.

pub mod domain;
pub mod events;
pub mod ports;
pub mod usecases;
