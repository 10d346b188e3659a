//! Creates tenants and their WeChat applications.

use sea_orm_migration::prelude::*;

/// Creates tenants and their WeChat applications.
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
                "CREATE TABLE identity_tenants (
                id TEXT PRIMARY KEY,
                code TEXT NOT NULL UNIQUE,
                name TEXT NOT NULL,
                status TEXT NOT NULL,
                is_platform {bool} NOT NULL,
                root_org_id TEXT NOT NULL,
                privacy_policy_version TEXT NOT NULL,
                settings_json TEXT NOT NULL,
                version BIGINT NOT NULL,
                created_at {ts} NOT NULL,
                updated_at {ts} NOT NULL
            )",
                "CREATE TABLE identity_apps (
                app_id TEXT PRIMARY KEY,
                tenant_id TEXT NOT NULL REFERENCES identity_tenants(id),
                kind TEXT NOT NULL,
                name TEXT NOT NULL,
                secret_enc {bytes},
                secret_last4 TEXT NOT NULL,
                agent_id TEXT NOT NULL,
                enabled {bool} NOT NULL,
                secret_updated_at {ts},
                created_at {ts} NOT NULL
            )",
                "CREATE INDEX identity_apps_tenant ON identity_apps (tenant_id)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &["DROP TABLE identity_apps", "DROP TABLE identity_tenants"],
        )
        .await
    }
}
