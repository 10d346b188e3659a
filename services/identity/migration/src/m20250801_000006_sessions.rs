//! Creates sessions (refresh-token families), refresh tokens (hashed) and the revocation feed.

use sea_orm_migration::prelude::*;

/// Creates sessions (refresh-token families), refresh tokens (hashed) and the revocation feed.
#[derive(DeriveMigrationName)]
pub struct Migration;

// async-trait rewrites the signature; naming the lifetime here breaks it.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(manager, &["CREATE TABLE identity_sessions (
                id TEXT PRIMARY KEY,
                tenant_id TEXT NOT NULL,
                principal_kind TEXT NOT NULL,
                subject_id TEXT NOT NULL,
                login_method TEXT NOT NULL,
                app_id TEXT NOT NULL,
                user_agent TEXT NOT NULL,
                ip_masked TEXT NOT NULL,
                created_at {ts} NOT NULL,
                last_refresh_at {ts} NOT NULL,
                expires_at {ts} NOT NULL,
                absolute_expires_at {ts} NOT NULL,
                revoked_at {ts},
                revoke_reason TEXT
            )", "CREATE INDEX identity_sessions_subject ON identity_sessions (tenant_id, subject_id)", "CREATE TABLE identity_refresh_tokens (
                token_hash TEXT PRIMARY KEY,
                session_id TEXT NOT NULL REFERENCES identity_sessions(id),
                tenant_id TEXT NOT NULL,
                issued_at {ts} NOT NULL,
                expires_at {ts} NOT NULL,
                spent_at {ts}
            )", "CREATE INDEX identity_refresh_tokens_session ON identity_refresh_tokens (session_id)", "CREATE TABLE identity_token_revocations (
                id TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                tenant_id TEXT NOT NULL,
                value TEXT NOT NULL,
                revoked_at {ts} NOT NULL
            )"]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "DROP TABLE identity_token_revocations",
                "DROP TABLE identity_refresh_tokens",
                "DROP TABLE identity_sessions",
            ],
        )
        .await
    }
}
