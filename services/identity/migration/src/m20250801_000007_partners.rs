//! Creates partner clients (secrets stored as SHA-256 hashes).

use sea_orm_migration::prelude::*;

/// Creates partner clients (secrets stored as SHA-256 hashes).
#[derive(DeriveMigrationName)]
pub struct Migration;

// async-trait rewrites the signature; naming the lifetime here breaks it.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(manager, &["CREATE TABLE identity_partner_clients (
                client_id TEXT PRIMARY KEY,
                tenant_id TEXT NOT NULL,
                name TEXT NOT NULL,
                secret_hash TEXT NOT NULL,
                scopes TEXT NOT NULL,
                status TEXT NOT NULL,
                token_ttl_secs INTEGER NOT NULL,
                created_at {ts} NOT NULL,
                updated_at {ts} NOT NULL
            )", "CREATE INDEX identity_partner_clients_tenant ON identity_partner_clients (tenant_id)"]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(manager, &["DROP TABLE identity_partner_clients"]).await
    }
}
