//! The pair a refresh token was exchanged for, kept sealed beside the spent token for the
//! 10-second lost-response grace of RefreshSession (cleared once the grace is over).

use sea_orm_migration::prelude::*;

/// `successor_sealed` on refresh tokens, and the index the purge of expired ones uses.
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
                "ALTER TABLE identity_refresh_tokens ADD COLUMN successor_sealed {bytes}",
                // Partial on both backends: only the few tokens spent in the last seconds.
                "CREATE INDEX identity_refresh_tokens_successor ON identity_refresh_tokens \
                 (spent_at) WHERE successor_sealed IS NOT NULL",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "DROP INDEX identity_refresh_tokens_successor",
                "ALTER TABLE identity_refresh_tokens DROP COLUMN successor_sealed",
            ],
        )
        .await
    }
}
