//! Partner stock syncs: one row per (tenant, sync_id) holding the first result, so a repeated
//! batch answers what the first one did without applying anything twice. The row is inserted
//! before the lines are applied: a concurrent repeat waits on the primary key until the first
//! commits (Postgres) or on the database write lock (SQLite), then reads the stored result.

use sea_orm_migration::prelude::*;

/// Creates `inv_syncs`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &["CREATE TABLE inv_syncs (
                tenant {uuid} NOT NULL,
                sync_id TEXT NOT NULL,
                result TEXT NOT NULL DEFAULT '',
                created_at_ms BIGINT NOT NULL,
                PRIMARY KEY (tenant, sync_id)
            )"],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(manager, &["DROP TABLE inv_syncs"]).await
    }
}
