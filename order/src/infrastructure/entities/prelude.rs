pub use super::{
    idempotency_keys::Entity as IdempotencyKeys, orders::Entity as Orders, outbox::Entity as Outbox,
    products::Entity as Products, vouchers::Entity as Vouchers,
};
