//! Adds gender and birthday to the consumer profile and the append-only consent records.

use sea_orm_migration::prelude::*;

/// Adds gender and birthday to the consumer profile and the append-only consent records.
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
                "ALTER TABLE identity_users ADD COLUMN gender TEXT NOT NULL DEFAULT ''",
                "ALTER TABLE identity_users ADD COLUMN birthday TEXT NOT NULL DEFAULT ''",
                "CREATE TABLE identity_user_consents (
                id TEXT PRIMARY KEY,
                tenant_id TEXT NOT NULL,
                user_id TEXT NOT NULL REFERENCES identity_users(id),
                kind TEXT NOT NULL,
                channel TEXT NOT NULL,
                version TEXT NOT NULL,
                granted {bool} NOT NULL,
                source TEXT NOT NULL,
                ip_masked TEXT NOT NULL,
                created_at {ts} NOT NULL
            )",
                "CREATE INDEX identity_user_consents_user ON identity_user_consents (tenant_id, user_id, created_at)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite supports DROP COLUMN since 3.35 (bundled by sqlx).
        super::run(
            manager,
            &[
                "DROP TABLE identity_user_consents",
                "ALTER TABLE identity_users DROP COLUMN birthday",
                "ALTER TABLE identity_users DROP COLUMN gender",
            ],
        )
        .await
    }
}
