//! Creates the org tree with materialized paths.

use sea_orm_migration::prelude::*;

/// Creates the org tree with materialized paths.
#[derive(DeriveMigrationName)]
pub struct Migration;

// async-trait rewrites the signature; naming the lifetime here breaks it.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(manager, &["CREATE TABLE identity_org_units (
                id TEXT PRIMARY KEY,
                tenant_id TEXT NOT NULL,
                parent_id TEXT,
                kind TEXT NOT NULL,
                code TEXT NOT NULL,
                name TEXT NOT NULL,
                path TEXT NOT NULL,
                depth INTEGER NOT NULL,
                status TEXT NOT NULL,
                address TEXT NOT NULL,
                latitude {f64},
                longitude {f64},
                phone TEXT NOT NULL,
                opening_hours TEXT NOT NULL,
                version BIGINT NOT NULL,
                created_at {ts} NOT NULL,
                updated_at {ts} NOT NULL
            )", "CREATE INDEX identity_org_units_parent ON identity_org_units (tenant_id, parent_id)", "CREATE INDEX identity_org_units_path ON identity_org_units (tenant_id, path)"]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(manager, &["DROP TABLE identity_org_units"]).await
    }
}
