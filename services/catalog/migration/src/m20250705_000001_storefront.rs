//! The storefront read model: what a product card and the list/search queries need, one row per
//! (product, scope, channel) where the product is sellable, kept by catalog's own writes in the
//! same transaction (`app::storefront::read_model`).
//!
//! - `cat_storefront`: scope = the nil UUID (online without a store) or a store id; channel 1 =
//!   online, 2 = the store's POS. `unit_min`/`unit_max` are results of the pricing function for
//!   a shopper without a member tier at that scope and channel, `in_stock` = a sellable SKU is
//!   available at the scope's store, `reprice_at_ms` = when a store override of one of its SKUs
//!   starts or ends (the row is recomputed then). A product without a sellable SKU there has
//!   no row. Sort keys (`unit_min`, `newest`, `sales`) are index-backed with the product id as
//!   tie-break so keyset pages read only the rows they return.
//! - `cat_storefront_skus`: the sellable SKUs of each store-scope row, so a stock change
//!   recomputes `in_stock` in one statement without repricing.
//! - `cat_storefront_terms`: every character and character pair of each word of a listed
//!   product's search text. A 1–2 character query (口红, 面膜) is a substring of the text
//!   exactly when it is one of these terms, so short queries (and every query on SQLite, which
//!   has no trigram index) start from one index lookup instead of a scan.
//!
//! Rows are written by the service (the pricing function lives in Rust); existing data is
//! filled in at startup by the same refresh.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// Creates the storefront read model.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut sql = vec![
            "CREATE TABLE cat_storefront (
                tenant {uuid} NOT NULL,
                scope {uuid} NOT NULL,
                channel SMALLINT NOT NULL,
                product_id {uuid} NOT NULL,
                title TEXT NOT NULL,
                main_image TEXT NOT NULL,
                category_path TEXT NOT NULL,
                search_text TEXT NOT NULL,
                newest BIGINT NOT NULL,
                sales BIGINT NOT NULL,
                unit_min BIGINT NOT NULL,
                unit_max BIGINT NOT NULL,
                in_stock BOOLEAN NOT NULL,
                reprice_at_ms BIGINT,
                PRIMARY KEY (tenant, product_id, scope, channel)
            )",
            "CREATE INDEX cat_storefront_price ON cat_storefront (tenant, scope, channel, unit_min, product_id)",
            "CREATE INDEX cat_storefront_newest ON cat_storefront (tenant, scope, channel, newest, product_id)",
            "CREATE INDEX cat_storefront_sales ON cat_storefront (tenant, scope, channel, sales, product_id)",
            "CREATE INDEX cat_storefront_category ON cat_storefront (tenant, scope, channel, category_path, product_id)",
            "CREATE INDEX cat_storefront_reprice ON cat_storefront (tenant, reprice_at_ms)",
            "CREATE TABLE cat_storefront_skus (
                tenant {uuid} NOT NULL,
                scope {uuid} NOT NULL,
                channel SMALLINT NOT NULL,
                product_id {uuid} NOT NULL,
                sku_id {uuid} NOT NULL,
                PRIMARY KEY (tenant, scope, channel, product_id, sku_id)
            )",
            "CREATE INDEX cat_storefront_skus_product ON cat_storefront_skus (tenant, product_id)",
            "CREATE TABLE cat_storefront_terms (
                tenant {uuid} NOT NULL,
                term TEXT NOT NULL,
                product_id {uuid} NOT NULL,
                PRIMARY KEY (tenant, term, product_id)
            )",
            "CREATE INDEX cat_storefront_terms_product ON cat_storefront_terms (tenant, product_id)",
        ];
        if manager.get_database_backend() == DbBackend::Postgres {
            sql.push(
                "CREATE INDEX cat_storefront_search ON cat_storefront USING gin (search_text gin_trgm_ops)",
            );
        }
        super::run(manager, &sql).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "DROP TABLE cat_storefront_terms",
                "DROP TABLE cat_storefront_skus",
                "DROP TABLE cat_storefront",
            ],
        )
        .await
    }
}
