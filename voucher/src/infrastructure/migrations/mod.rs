//! Schema migrations. Applied migrations are immutable: change the schema with a new file.

use sea_orm_migration::{MigrationTrait, MigratorTrait};

mod m20261123_000001_create_vouchers;
mod m20261207_000002_expire_and_announce_vouchers;
mod m20261207_000003_record_voucher_usages;

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_vouchers::Migration),
            Box::new(m20261207_000002_expire_and_announce_vouchers::Migration),
            Box::new(m20261207_000003_record_voucher_usages::Migration),
        ]
    }
}
