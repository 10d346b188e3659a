//! Idempotency records: the stored reply of every mutating call that carried a key.

use sea_orm_migration::prelude::*;

/// Creates `siyu_idempotency`.
#[derive(DeriveMigrationName)]
pub struct Migration;

// async-trait rewrites the signature; naming the lifetime here breaks it, so the lint is silenced.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "CREATE TABLE siyu_idempotency (
                    tenant {uuid} NOT NULL,
                    idem_key TEXT NOT NULL,
                    method TEXT NOT NULL,
                    request_hash TEXT NOT NULL,
                    response {bytes},
                    created_at {ts} NOT NULL,
                    PRIMARY KEY (tenant, idem_key)
                )",
                // For purging old records.
                "CREATE INDEX siyu_idempotency_created ON siyu_idempotency (created_at)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(manager, &["DROP TABLE siyu_idempotency"]).await
    }
}
