//! Records user merges (phone binding of a number another user owns) and stores phone OTPs.

use sea_orm_migration::prelude::*;

/// Records user merges and stores phone OTPs.
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
                "CREATE TABLE identity_user_merges (
                id TEXT PRIMARY KEY,
                tenant_id TEXT NOT NULL,
                kept_user_id TEXT NOT NULL REFERENCES identity_users(id),
                merged_user_id TEXT NOT NULL REFERENCES identity_users(id),
                moved TEXT NOT NULL,
                reason TEXT NOT NULL,
                actor TEXT NOT NULL,
                created_at {ts} NOT NULL,
                reversed_at {ts},
                reversed_by TEXT
            )",
                "CREATE INDEX identity_user_merges_kept ON identity_user_merges (tenant_id, kept_user_id)",
                "CREATE INDEX identity_user_merges_merged ON identity_user_merges (tenant_id, merged_user_id)",
                "CREATE TABLE identity_phone_otps (
                id TEXT PRIMARY KEY,
                tenant_id TEXT NOT NULL,
                phone TEXT NOT NULL,
                purpose TEXT NOT NULL,
                salt TEXT NOT NULL,
                code_hash TEXT NOT NULL,
                attempts INTEGER NOT NULL,
                created_at {ts} NOT NULL,
                expires_at {ts} NOT NULL,
                consumed_at {ts}
            )",
                "CREATE INDEX identity_phone_otps_phone ON identity_phone_otps (tenant_id, phone, purpose, created_at)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "DROP TABLE identity_phone_otps",
                "DROP TABLE identity_user_merges",
            ],
        )
        .await
    }
}
