//! Pier's schema history. Each change to the database is a new module here, appended to
//! `Migrator::migrations`; released migrations are never edited.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_jobs;
mod m20261122_000002_accounts;
mod m20261122_000003_security;
mod m20261122_000004_hosts_plans;
mod m20261122_000005_images;
mod m20261122_000006_vps;
mod m20261122_000007_vps_runtime;
mod m20261122_000008_image_access;
mod m20261122_000009_containers;
mod m20261202_000010_container_scripts;
mod m20261202_000011_sites;
mod m20261202_000012_access_lists;
mod m20261202_000013_metrics;
mod m20261202_000014_alerts;
mod m20261203_000015_container_exits;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_jobs::Migration),
            Box::new(m20261122_000002_accounts::Migration),
            Box::new(m20261122_000003_security::Migration),
            Box::new(m20261122_000004_hosts_plans::Migration),
            Box::new(m20261122_000005_images::Migration),
            Box::new(m20261122_000006_vps::Migration),
            Box::new(m20261122_000007_vps_runtime::Migration),
            Box::new(m20261122_000008_image_access::Migration),
            Box::new(m20261122_000009_containers::Migration),
            Box::new(m20261202_000010_container_scripts::Migration),
            Box::new(m20261202_000011_sites::Migration),
            Box::new(m20261202_000012_access_lists::Migration),
            Box::new(m20261202_000013_metrics::Migration),
            Box::new(m20261202_000014_alerts::Migration),
            Box::new(m20261203_000015_container_exits::Migration),
        ]
    }
}
