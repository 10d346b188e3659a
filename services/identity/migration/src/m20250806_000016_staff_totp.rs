//! Staff TOTP second factor: the sealed secret with its replay guard, and recovery codes.

use sea_orm_migration::prelude::*;

/// Staff TOTP second factor: the sealed secret with its replay guard, and recovery codes.
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
                // One row per staff: pending (enabled = false) until confirmed. `last_step` is
                // the newest time step whose code was accepted; codes of that step or older are
                // refused (each code usable once).
                "CREATE TABLE identity_staff_totp (
                staff_id TEXT PRIMARY KEY REFERENCES identity_staff(id),
                tenant_id TEXT NOT NULL,
                secret_sealed {bytes} NOT NULL,
                enabled {bool} NOT NULL,
                last_step BIGINT NOT NULL,
                created_at {ts} NOT NULL,
                enabled_at {ts}
            )",
                "CREATE INDEX identity_staff_totp_tenant ON identity_staff_totp (tenant_id)",
                "CREATE TABLE identity_staff_recovery_codes (
                id TEXT PRIMARY KEY,
                tenant_id TEXT NOT NULL,
                staff_id TEXT NOT NULL REFERENCES identity_staff(id),
                code_hash TEXT NOT NULL,
                used_at {ts},
                created_at {ts} NOT NULL
            )",
                "CREATE INDEX identity_staff_recovery_codes_staff ON identity_staff_recovery_codes (tenant_id, staff_id)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "DROP TABLE identity_staff_recovery_codes",
                "DROP TABLE identity_staff_totp",
            ],
        )
        .await
    }
}
