//! Creates the hash-chained security audit log (one chain per tenant).

use sea_orm_migration::prelude::*;

/// Creates the hash-chained security audit log (one chain per tenant).
#[derive(DeriveMigrationName)]
pub struct Migration;

// async-trait rewrites the signature; naming the lifetime here breaks it.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "CREATE TABLE identity_audit_log (
                tenant_id TEXT NOT NULL,
                seq BIGINT NOT NULL,
                id TEXT NOT NULL UNIQUE,
                kind TEXT NOT NULL,
                actor_kind TEXT NOT NULL,
                actor_id TEXT NOT NULL,
                target_kind TEXT NOT NULL,
                target_id TEXT NOT NULL,
                outcome TEXT NOT NULL,
                details TEXT NOT NULL,
                created_at {ts} NOT NULL,
                prev_hash TEXT NOT NULL,
                hash TEXT NOT NULL,
                PRIMARY KEY (tenant_id, seq)
            )",
                "CREATE TABLE identity_audit_heads (
                tenant_id TEXT PRIMARY KEY,
                seq BIGINT NOT NULL,
                hash TEXT NOT NULL
            )",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "DROP TABLE identity_audit_heads",
                "DROP TABLE identity_audit_log",
            ],
        )
        .await
    }
}
