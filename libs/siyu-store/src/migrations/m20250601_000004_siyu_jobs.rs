//! Leased background jobs and named singleton leases.
//!
//! Times that are compared in queries (`run_at_ms`, `lease_until_ms`) are epoch milliseconds:
//! SQLite stores timestamps as text of varying precision, which does not compare correctly.

use sea_orm_migration::prelude::*;

/// Creates `siyu_jobs` and `siyu_leases`.
#[derive(DeriveMigrationName)]
pub struct Migration;

// async-trait rewrites the signature; naming the lifetime here breaks it, so the lint is silenced.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "CREATE TABLE siyu_jobs (
                    id {uuid} PRIMARY KEY,
                    tenant {uuid},
                    kind TEXT NOT NULL,
                    payload {bytes} NOT NULL,
                    status TEXT NOT NULL,
                    run_at_ms {i64} NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    max_attempts INTEGER NOT NULL,
                    lease_owner TEXT,
                    lease_until_ms {i64},
                    last_error TEXT,
                    created_at {ts} NOT NULL,
                    updated_at {ts} NOT NULL
                )",
                "CREATE INDEX siyu_jobs_due ON siyu_jobs (status, run_at_ms)",
                "CREATE TABLE siyu_leases (
                    name TEXT PRIMARY KEY,
                    owner TEXT NOT NULL,
                    until_ms {i64} NOT NULL
                )",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(manager, &["DROP TABLE siyu_leases", "DROP TABLE siyu_jobs"]).await
    }
}
