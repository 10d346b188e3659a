//! Carts: one per consumer and tenant (a row once it holds a fulfilment choice or a line), lines
//! kept per SKU.

use sea_orm_migration::prelude::*;

/// Creates `ord_carts` and `ord_cart_lines`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                // fulfilment: the FulfilmentChoice as JSON ('{}' while none is chosen).
                "CREATE TABLE ord_carts (
                    tenant {uuid} NOT NULL,
                    user_id {uuid} NOT NULL,
                    fulfilment TEXT NOT NULL DEFAULT '{}',
                    updated_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, user_id)
                )",
                "CREATE TABLE ord_cart_lines (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    user_id {uuid} NOT NULL,
                    sku_id {uuid} NOT NULL,
                    quantity INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 999),
                    selected BOOLEAN NOT NULL,
                    added_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, id)
                )",
                // One line per SKU: the anchor of AddCartLine's "increase the existing line".
                "CREATE UNIQUE INDEX ord_cart_lines_sku ON ord_cart_lines (tenant, user_id, sku_id)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &["DROP TABLE ord_cart_lines", "DROP TABLE ord_carts"],
        )
        .await
    }
}
