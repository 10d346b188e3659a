//! Creates the token signing key set (private keys encrypted at rest).

use sea_orm_migration::prelude::*;

/// Creates the token signing key set (private keys encrypted at rest).
#[derive(DeriveMigrationName)]
pub struct Migration;

// async-trait rewrites the signature; naming the lifetime here breaks it.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &["CREATE TABLE identity_signing_keys (
                kid TEXT PRIMARY KEY,
                alg TEXT NOT NULL,
                status TEXT NOT NULL,
                private_key_enc {bytes} NOT NULL,
                public_jwk TEXT NOT NULL,
                created_at {ts} NOT NULL,
                activate_at {ts} NOT NULL,
                retire_at {ts},
                remove_at {ts}
            )"],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(manager, &["DROP TABLE identity_signing_keys"]).await
    }
}
