//! Schema migrations. Applied migrations are immutable: change the schema with a new file.

use sea_orm_migration::{MigrationTrait, MigratorTrait};

mod m20261123_000001_create_orders;
mod m20261123_000002_create_outbox;
mod m20261123_000003_create_idempotency_keys;
mod m20261201_000004_scope_idempotency_keys_by_caller;
mod m20261207_000005_create_products;
mod m20261207_000006_create_vouchers;
mod m20261207_000007_orders_use_vouchers;

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_orders::Migration),
            Box::new(m20261123_000002_create_outbox::Migration),
            Box::new(m20261123_000003_create_idempotency_keys::Migration),
            Box::new(m20261201_000004_scope_idempotency_keys_by_caller::Migration),
            Box::new(m20261207_000005_create_products::Migration),
            Box::new(m20261207_000006_create_vouchers::Migration),
            Box::new(m20261207_000007_orders_use_vouchers::Migration),
        ]
    }
}
