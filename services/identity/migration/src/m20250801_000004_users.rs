//! Creates consumers and their linked identities (one row per identity, unique per tenant).

use sea_orm_migration::prelude::*;

/// Creates consumers and their linked identities (one row per identity, unique per tenant).
#[derive(DeriveMigrationName)]
pub struct Migration;

// async-trait rewrites the signature; naming the lifetime here breaks it.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(manager, &["CREATE TABLE identity_users (
                id TEXT PRIMARY KEY,
                tenant_id TEXT NOT NULL,
                status TEXT NOT NULL,
                nickname TEXT NOT NULL,
                avatar_url TEXT NOT NULL,
                phone TEXT,
                merged_into TEXT,
                created_at {ts} NOT NULL,
                updated_at {ts} NOT NULL
            )", "CREATE INDEX identity_users_tenant ON identity_users (tenant_id, created_at)", "CREATE TABLE identity_user_identities (
                id TEXT PRIMARY KEY,
                tenant_id TEXT NOT NULL,
                user_id TEXT NOT NULL REFERENCES identity_users(id),
                kind TEXT NOT NULL,
                scope TEXT NOT NULL,
                value TEXT NOT NULL,
                created_at {ts} NOT NULL,
                UNIQUE (tenant_id, kind, scope, value)
            )", "CREATE INDEX identity_user_identities_user ON identity_user_identities (tenant_id, user_id)"]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "DROP TABLE identity_user_identities",
                "DROP TABLE identity_users",
            ],
        )
        .await
    }
}
