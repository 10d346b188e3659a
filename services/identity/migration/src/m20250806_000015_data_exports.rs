//! Personal data exports (PIPL 个人信息副本 / GDPR access) and the erasure record of erased users.

use sea_orm_migration::prelude::*;

/// Stores data export jobs with their sealed payloads, erasure records, and indexes the audit
/// log by target and actor (the export gathers the entries about one user).
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
                "CREATE TABLE identity_data_exports (
                id TEXT PRIMARY KEY,
                tenant_id TEXT NOT NULL,
                user_id TEXT NOT NULL REFERENCES identity_users(id),
                status TEXT NOT NULL,
                app_id TEXT NOT NULL,
                requested_by TEXT NOT NULL,
                created_at {ts} NOT NULL,
                started_at {ts},
                finished_at {ts},
                expires_at {ts},
                size_bytes BIGINT NOT NULL DEFAULT 0,
                sha256 TEXT NOT NULL DEFAULT '',
                payload {bytes},
                error TEXT NOT NULL DEFAULT ''
            )",
                "CREATE INDEX identity_data_exports_user ON identity_data_exports (tenant_id, user_id, created_at)",
                // At most one job in flight per user (partial indexes exist on both backends).
                "CREATE UNIQUE INDEX identity_data_exports_live ON identity_data_exports (tenant_id, user_id) \
                 WHERE status IN ('PENDING', 'RUNNING')",
                "CREATE TABLE identity_user_erasures (
                user_id TEXT PRIMARY KEY REFERENCES identity_users(id),
                tenant_id TEXT NOT NULL,
                requested_by TEXT NOT NULL,
                erased_at {ts} NOT NULL
            )",
                "CREATE INDEX identity_audit_log_target ON identity_audit_log (tenant_id, target_id)",
                "CREATE INDEX identity_audit_log_actor ON identity_audit_log (tenant_id, actor_id)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "DROP INDEX identity_audit_log_actor",
                "DROP INDEX identity_audit_log_target",
                "DROP TABLE identity_user_erasures",
                "DROP TABLE identity_data_exports",
            ],
        )
        .await
    }
}
