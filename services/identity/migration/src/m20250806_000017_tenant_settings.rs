//! Tenant settings (defaults and security, with their own version), WeChat Pay merchant
//! configuration (key material sealed), and a commit-ordered sequence for the revocation feed.

use sea_orm_migration::prelude::*;

/// Tenant settings, WeChat Pay configuration and the revocation feed sequence.
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
                "CREATE TABLE identity_tenant_settings (
                tenant_id TEXT PRIMARY KEY REFERENCES identity_tenants(id),
                settings_json TEXT NOT NULL,
                version BIGINT NOT NULL,
                updated_at {ts} NOT NULL
            )",
                "CREATE TABLE identity_pay_configs (
                tenant_id TEXT PRIMARY KEY REFERENCES identity_tenants(id),
                mch_id TEXT NOT NULL,
                app_id TEXT NOT NULL,
                merchant_serial_no TEXT NOT NULL,
                api_v3_key_enc {bytes} NOT NULL,
                private_key_enc {bytes} NOT NULL,
                public_key_id TEXT NOT NULL,
                public_key_pem TEXT NOT NULL,
                key_updated_at {ts} NOT NULL,
                updated_at {ts} NOT NULL
            )",
                "ALTER TABLE identity_token_revocations ADD COLUMN seq BIGINT",
                "CREATE INDEX identity_token_revocations_seq ON identity_token_revocations (seq)",
                "CREATE INDEX identity_token_revocations_time ON identity_token_revocations (revoked_at)",
                "CREATE TABLE identity_revocation_head (
                id INTEGER PRIMARY KEY,
                seq BIGINT NOT NULL
            )",
                "INSERT INTO identity_revocation_head (id, seq) VALUES (1, 0)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "DROP TABLE identity_revocation_head",
                "DROP INDEX identity_token_revocations_time",
                "DROP INDEX identity_token_revocations_seq",
                "ALTER TABLE identity_token_revocations DROP COLUMN seq",
                "DROP TABLE identity_pay_configs",
                "DROP TABLE identity_tenant_settings",
            ],
        )
        .await
    }
}
