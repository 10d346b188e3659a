//! Records the phone identities a merge dropped (so a reversal can restore them) and where each
//! linked identity came from.

use sea_orm_migration::prelude::*;

/// Adds `identity_user_merges.dropped` and `identity_user_identities.source`.
#[derive(DeriveMigrationName)]
pub struct Migration;

// async-trait rewrites the signature; naming the lifetime here breaks it.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // `dropped` stays NULL on records written before it existed: those merges are not
        // reversible (what they deleted is unknown).
        super::run(
            manager,
            &[
                "ALTER TABLE identity_user_merges ADD COLUMN dropped TEXT",
                "ALTER TABLE identity_user_identities ADD COLUMN source TEXT NOT NULL DEFAULT ''",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite supports DROP COLUMN since 3.35 (bundled by sqlx).
        super::run(
            manager,
            &[
                "ALTER TABLE identity_user_identities DROP COLUMN source",
                "ALTER TABLE identity_user_merges DROP COLUMN dropped",
            ],
        )
        .await
    }
}
