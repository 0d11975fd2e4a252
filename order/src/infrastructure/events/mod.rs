//! Redis adapters of the bus ports: the subscription to the voucher service's
//! acknowledgements. The publishers of the outbox relay are `checkout_bus::publish`.

mod redis_ack_subscription;

pub use redis_ack_subscription::RedisAckSubscriber;
