//! The outbox: events written in the same transaction as the change that caused them.

use sea_orm_migration::prelude::*;

/// Creates `siyu_outbox`.
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
                "CREATE TABLE siyu_outbox (
                    seq {seq},
                    id {uuid} NOT NULL UNIQUE,
                    tenant {uuid},
                    event_type TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    source TEXT NOT NULL,
                    occurred_at {ts} NOT NULL,
                    traceparent TEXT,
                    tracestate TEXT,
                    payload {bytes} NOT NULL,
                    published_at {ts}
                )",
                // Only unpublished rows are ever scanned by the relay.
                "CREATE INDEX siyu_outbox_unpublished ON siyu_outbox (seq) WHERE published_at IS NULL",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(manager, &["DROP TABLE siyu_outbox"]).await
    }
}
