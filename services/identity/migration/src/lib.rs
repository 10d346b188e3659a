//! Migrations of the identity service: the shared siyu-store tables first, then identity's own.
//!
//! Ids are stored as TEXT (UUIDv7 strings) so the same SQL works on Postgres and SQLite without
//! per-backend binding; timestamps are `TIMESTAMPTZ` on Postgres and ISO-8601 TEXT on SQLite.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

mod m20250801_000001_signing_keys;
mod m20250801_000002_tenants;
mod m20250801_000003_org;
mod m20250801_000004_users;
mod m20250801_000005_staff;
mod m20250801_000006_sessions;
mod m20250801_000007_partners;
mod m20250801_000008_audit;
mod m20250802_000009_org_stores;
mod m20250803_000010_partner_clients;
mod m20250803_000011_staff_admin;
mod m20250804_000012_phone_merge;
mod m20250805_000013_profiles_consents;
mod m20250806_000014_identity_links;
mod m20250806_000015_data_exports;
mod m20250806_000016_staff_totp;
mod m20250806_000017_tenant_settings;
mod m20250807_000018_refresh_successors;

/// The identity service's migrator.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = siyu_store::migrations::all();
        all.push(Box::new(m20250801_000001_signing_keys::Migration));
        all.push(Box::new(m20250801_000002_tenants::Migration));
        all.push(Box::new(m20250801_000003_org::Migration));
        all.push(Box::new(m20250801_000004_users::Migration));
        all.push(Box::new(m20250801_000005_staff::Migration));
        all.push(Box::new(m20250801_000006_sessions::Migration));
        all.push(Box::new(m20250801_000007_partners::Migration));
        all.push(Box::new(m20250801_000008_audit::Migration));
        all.push(Box::new(m20250802_000009_org_stores::Migration));
        all.push(Box::new(m20250803_000010_partner_clients::Migration));
        all.push(Box::new(m20250803_000011_staff_admin::Migration));
        all.push(Box::new(m20250804_000012_phone_merge::Migration));
        all.push(Box::new(m20250805_000013_profiles_consents::Migration));
        all.push(Box::new(m20250806_000014_identity_links::Migration));
        all.push(Box::new(m20250806_000015_data_exports::Migration));
        all.push(Box::new(m20250806_000016_staff_totp::Migration));
        all.push(Box::new(m20250806_000017_tenant_settings::Migration));
        all.push(Box::new(m20250807_000018_refresh_successors::Migration));
        all
    }
}

/// Renders the portable type placeholders of a DDL template for the backend.
fn ddl(backend: DbBackend, template: &str) -> String {
    let pg = matches!(backend, DbBackend::Postgres);
    template
        .replace("{ts}", if pg { "TIMESTAMPTZ" } else { "TEXT" })
        .replace("{bytes}", if pg { "BYTEA" } else { "BLOB" })
        .replace("{bool}", if pg { "BOOLEAN" } else { "INTEGER" })
        .replace("{f64}", if pg { "DOUBLE PRECISION" } else { "REAL" })
}

/// Runs each statement of `templates` in order.
async fn run(manager: &SchemaManager<'_>, templates: &[&str]) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    let conn = manager.get_connection();
    for template in templates {
        conn.execute_unprepared(&ddl(backend, template)).await?;
    }
    Ok(())
}
