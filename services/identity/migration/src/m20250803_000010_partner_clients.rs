//! Completes partner clients: description, rate limits, IP allow-list, secret rotation with a
//! grace period, token generation (bumped to revoke every issued token), and bookkeeping.

use sea_orm_migration::prelude::*;

/// Adds the partner-client columns the open platform needs.
#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: &[(&str, &str)] = &[
    ("description", "TEXT NOT NULL DEFAULT ''"),
    ("rate_limit_per_minute", "INTEGER NOT NULL DEFAULT 600"),
    ("rate_limit_burst", "INTEGER NOT NULL DEFAULT 60"),
    // Space-separated addresses / CIDR blocks; empty = any IP.
    ("ip_allow_list", "TEXT NOT NULL DEFAULT ''"),
    ("secret_last4", "TEXT NOT NULL DEFAULT ''"),
    ("secret_created_at", "{ts}"),
    ("previous_secret_hash", "TEXT"),
    ("previous_secret_expires_at", "{ts}"),
    ("created_by", "TEXT NOT NULL DEFAULT ''"),
    ("last_token_at", "{ts}"),
    ("version", "BIGINT NOT NULL DEFAULT 1"),
    // Part of every partner token's jti; bumping it revokes every token issued before.
    ("token_generation", "BIGINT NOT NULL DEFAULT 0"),
];

// async-trait rewrites the signature; naming the lifetime here breaks it.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements: Vec<String> = COLUMNS
            .iter()
            .map(|(name, ty)| {
                format!("ALTER TABLE identity_partner_clients ADD COLUMN {name} {ty}")
            })
            .collect();
        let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
        super::run(manager, &refs).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements: Vec<String> = COLUMNS
            .iter()
            .rev()
            .map(|(name, _)| format!("ALTER TABLE identity_partner_clients DROP COLUMN {name}"))
            .collect();
        let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
        super::run(manager, &refs).await
    }
}
