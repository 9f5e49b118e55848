//! The registry's schema, as one ordered set of migrations for SQLite and PostgreSQL.
//!
//! Migrations are named by the date they were written and what they do; `Migrator` lists them
//! in order. `datapm-registry migrate` and `serve` both run them through `MigratorTrait::up`.

pub use sea_orm_migration::prelude::*;

mod m20261203_000001_create_accounts;
mod m20261203_000002_create_packages;
mod m20261203_000003_add_search;
mod m20261204_000001_create_data_batches;
mod m20261204_000002_index_package_slugs;
mod m20261204_000003_create_stream_uploads;

/// Every migration, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261203_000001_create_accounts::Migration),
            Box::new(m20261203_000002_create_packages::Migration),
            Box::new(m20261203_000003_add_search::Migration),
            Box::new(m20261204_000001_create_data_batches::Migration),
            Box::new(m20261204_000002_index_package_slugs::Migration),
            Box::new(m20261204_000003_create_stream_uploads::Migration),
        ]
    }
}
