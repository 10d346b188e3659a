//! The catalog proper: categories, the product/SKU columns CatalogService needs, prices, store
//! price overrides and assortment, and the search text column.
//!
//! Postgres additionally gets `pg_trgm` and a GIN trigram index on `cat_products.search_text`
//! (keyword search of Chinese text); SQLite falls back to `LIKE` scans, which is fine for tests
//! and single-store deployments.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// Creates the catalog tables and columns.
#[derive(DeriveMigrationName)]
pub struct Migration;

const PRODUCT_COLUMNS: &[&str] = &[
    "subtitle TEXT NOT NULL DEFAULT ''",
    "category_id TEXT NOT NULL DEFAULT ''",
    // The category's path (ids root first, '/'-joined): "in this category or below" is a prefix
    // match, and a move rewrites the prefix.
    "category_path TEXT NOT NULL DEFAULT ''",
    "brand TEXT NOT NULL DEFAULT ''",
    "media TEXT NOT NULL DEFAULT '[]'",
    "attributes TEXT NOT NULL DEFAULT '[]'",
    "spec_dimensions TEXT NOT NULL DEFAULT '[]'",
    "description TEXT NOT NULL DEFAULT ''",
    "keywords TEXT NOT NULL DEFAULT '[]'",
    // Lower-cased title, subtitle, brand, keywords and spec values: what keyword search matches.
    "search_text TEXT NOT NULL DEFAULT ''",
    "sales_30d INTEGER NOT NULL DEFAULT 0",
    "first_on_sale_at_ms BIGINT",
    "updated_at_ms BIGINT NOT NULL DEFAULT 0",
    // Lowest sale price of the enabled SKUs: the search sort/filter key.
    "min_sale_price BIGINT",
];

const SKU_COLUMNS: &[&str] = &[
    "specs TEXT NOT NULL DEFAULT '[]'",
    "list_price BIGINT",
    "sale_price BIGINT",
    "member_prices TEXT NOT NULL DEFAULT '[]'",
    "member_discount_eligible BOOLEAN NOT NULL DEFAULT TRUE",
    "image_url TEXT NOT NULL DEFAULT ''",
    "online BOOLEAN NOT NULL DEFAULT TRUE",
    "store_mode SMALLINT NOT NULL DEFAULT 1",
    "updated_at_ms BIGINT NOT NULL DEFAULT 0",
];

fn name(column: &str) -> &str {
    column.split(' ').next().unwrap_or(column)
}

// async-trait rewrites the signature; naming the lifetime here breaks it.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut sql: Vec<String> = vec![
            "CREATE TABLE cat_categories (
                tenant {uuid} NOT NULL,
                id {uuid} NOT NULL,
                parent TEXT NOT NULL,
                name TEXT NOT NULL,
                image_url TEXT NOT NULL,
                sort_order INTEGER NOT NULL,
                hidden BOOLEAN NOT NULL,
                path TEXT NOT NULL,
                depth INTEGER NOT NULL,
                updated_at_ms BIGINT NOT NULL,
                PRIMARY KEY (tenant, id)
            )"
            .into(),
            "CREATE UNIQUE INDEX cat_categories_sibling_name ON cat_categories (tenant, parent, name)"
                .into(),
            "CREATE INDEX cat_categories_path ON cat_categories (tenant, path)".into(),
            "CREATE TABLE cat_store_prices (
                tenant {uuid} NOT NULL,
                sku_id {uuid} NOT NULL,
                store_id {uuid} NOT NULL,
                price BIGINT NOT NULL CHECK (price > 0),
                valid_from_ms BIGINT NOT NULL,
                valid_until_ms BIGINT,
                updated_at_ms BIGINT NOT NULL,
                PRIMARY KEY (tenant, sku_id, store_id)
            )"
            .into(),
            "CREATE INDEX cat_store_prices_store ON cat_store_prices (tenant, store_id, sku_id)"
                .into(),
            "CREATE TABLE cat_assortment_stores (
                tenant {uuid} NOT NULL,
                sku_id {uuid} NOT NULL,
                store_id {uuid} NOT NULL,
                PRIMARY KEY (tenant, sku_id, store_id)
            )"
            .into(),
            "CREATE INDEX cat_assortment_stores_store ON cat_assortment_stores (tenant, store_id, sku_id)"
                .into(),
        ];
        for c in PRODUCT_COLUMNS {
            sql.push(format!("ALTER TABLE cat_products ADD COLUMN {c}"));
        }
        for c in SKU_COLUMNS {
            sql.push(format!("ALTER TABLE cat_skus ADD COLUMN {c}"));
        }
        sql.extend([
            "CREATE INDEX cat_products_category ON cat_products (tenant, category_path)".into(),
            "CREATE INDEX cat_products_updated ON cat_products (tenant, updated_at_ms)".into(),
            "DROP INDEX cat_skus_barcode".into(),
            // Partial unique indexes work on both backends: empty codes are "not set".
            "CREATE UNIQUE INDEX cat_skus_barcode_u ON cat_skus (tenant, barcode) WHERE barcode <> ''"
                .into(),
            "CREATE UNIQUE INDEX cat_skus_code_u ON cat_skus (tenant, sku_code) WHERE sku_code <> ''"
                .into(),
        ]);
        if manager.get_database_backend() == DbBackend::Postgres {
            sql.extend([
                "CREATE EXTENSION IF NOT EXISTS pg_trgm".into(),
                "CREATE INDEX cat_products_search ON cat_products USING gin (search_text gin_trgm_ops)"
                    .into(),
            ]);
        }
        let refs: Vec<&str> = sql.iter().map(String::as_str).collect();
        super::run(manager, &refs).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut sql: Vec<String> = Vec::new();
        if manager.get_database_backend() == DbBackend::Postgres {
            sql.push("DROP INDEX cat_products_search".into());
        }
        sql.extend([
            "DROP INDEX cat_skus_code_u".into(),
            "DROP INDEX cat_skus_barcode_u".into(),
            "CREATE INDEX cat_skus_barcode ON cat_skus (tenant, barcode)".into(),
            "DROP INDEX cat_products_updated".into(),
            "DROP INDEX cat_products_category".into(),
        ]);
        for c in SKU_COLUMNS {
            sql.push(format!("ALTER TABLE cat_skus DROP COLUMN {}", name(c)));
        }
        for c in PRODUCT_COLUMNS {
            sql.push(format!("ALTER TABLE cat_products DROP COLUMN {}", name(c)));
        }
        sql.extend([
            "DROP TABLE cat_assortment_stores".into(),
            "DROP TABLE cat_store_prices".into(),
            "DROP TABLE cat_categories".into(),
        ]);
        let refs: Vec<&str> = sql.iter().map(String::as_str).collect();
        super::run(manager, &refs).await
    }
}
