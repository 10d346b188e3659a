//! The inbox: event ids a consumer has already applied.

use sea_orm_migration::prelude::*;

/// Creates `siyu_inbox`.
#[derive(DeriveMigrationName)]
pub struct Migration;

// async-trait rewrites the signature; naming the lifetime here breaks it, so the lint is silenced.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &["CREATE TABLE siyu_inbox (
                consumer TEXT NOT NULL,
                event_id {uuid} NOT NULL,
                received_at {ts} NOT NULL,
                PRIMARY KEY (consumer, event_id)
            )"],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(manager, &["DROP TABLE siyu_inbox"]).await
    }
}
