//! Adds what the org tree needs beyond the first schema: sibling order, the store profile
//! (protobuf bytes, base64), its searchable city and pickup flag, and unique unit codes.

use sea_orm_migration::prelude::*;

/// Adds sort order, store profile columns and the unique code index to org units.
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
                "ALTER TABLE identity_org_units ADD COLUMN sort_order INTEGER NOT NULL DEFAULT 0",
                "ALTER TABLE identity_org_units ADD COLUMN store_profile TEXT NOT NULL DEFAULT ''",
                "ALTER TABLE identity_org_units ADD COLUMN city TEXT NOT NULL DEFAULT ''",
                // INTEGER on both backends so one bound value type works everywhere.
                "ALTER TABLE identity_org_units ADD COLUMN pickup INTEGER NOT NULL DEFAULT 0",
                "CREATE UNIQUE INDEX identity_org_units_code ON identity_org_units (tenant_id, code)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "DROP INDEX identity_org_units_code",
                "ALTER TABLE identity_org_units DROP COLUMN pickup",
                "ALTER TABLE identity_org_units DROP COLUMN city",
                "ALTER TABLE identity_org_units DROP COLUMN store_profile",
                "ALTER TABLE identity_org_units DROP COLUMN sort_order",
            ],
        )
        .await
    }
}
