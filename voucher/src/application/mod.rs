//! Use cases and the ports they need. Knows nothing of HTTP, SQL or Redis.

pub mod dto;
pub mod events;
pub mod repositories;
pub mod usecases;
