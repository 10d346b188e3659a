//! Products (SPU) and SKUs: the part of the catalog inventory depends on (existence,
//! sellability, barcode, the titles StockLow carries).

use sea_orm_migration::prelude::*;

/// Creates `cat_products` and `cat_skus`.
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
                "CREATE TABLE cat_products (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    title TEXT NOT NULL,
                    status SMALLINT NOT NULL,
                    created_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, id)
                )",
                "CREATE TABLE cat_skus (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    product_id {uuid} NOT NULL,
                    title TEXT NOT NULL,
                    sku_code TEXT NOT NULL DEFAULT '',
                    barcode TEXT NOT NULL DEFAULT '',
                    weight_grams INTEGER NOT NULL DEFAULT 0,
                    enabled BOOLEAN NOT NULL,
                    created_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, id)
                )",
                "CREATE INDEX cat_skus_product ON cat_skus (tenant, product_id)",
                "CREATE INDEX cat_skus_barcode ON cat_skus (tenant, barcode)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(manager, &["DROP TABLE cat_skus", "DROP TABLE cat_products"]).await
    }
}
