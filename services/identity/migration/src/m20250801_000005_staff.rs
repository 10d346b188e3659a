//! Creates staff accounts, their role grants and guide codes.

use sea_orm_migration::prelude::*;

/// Creates staff accounts, their role grants and guide codes.
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
                "CREATE TABLE identity_staff (
                id TEXT PRIMARY KEY,
                tenant_id TEXT NOT NULL,
                login_name TEXT NOT NULL,
                display_name TEXT NOT NULL,
                password_hash TEXT NOT NULL,
                status TEXT NOT NULL,
                must_change_password {bool} NOT NULL,
                failed_attempts INTEGER NOT NULL,
                failure_window_start {ts},
                locked_until {ts},
                home_org_id TEXT NOT NULL,
                created_at {ts} NOT NULL,
                updated_at {ts} NOT NULL,
                UNIQUE (tenant_id, login_name)
            )",
                "CREATE TABLE identity_staff_roles (
                id TEXT PRIMARY KEY,
                tenant_id TEXT NOT NULL,
                staff_id TEXT NOT NULL REFERENCES identity_staff(id),
                role TEXT NOT NULL,
                org_unit_id TEXT NOT NULL,
                created_at {ts} NOT NULL,
                UNIQUE (staff_id, role, org_unit_id)
            )",
                "CREATE TABLE identity_guide_codes (
                code TEXT PRIMARY KEY,
                tenant_id TEXT NOT NULL,
                staff_id TEXT NOT NULL REFERENCES identity_staff(id),
                store_id TEXT NOT NULL,
                active {bool} NOT NULL,
                created_at {ts} NOT NULL
            )",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "DROP TABLE identity_guide_codes",
                "DROP TABLE identity_staff_roles",
                "DROP TABLE identity_staff",
            ],
        )
        .await
    }
}
