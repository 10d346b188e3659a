//! Seeding the suite's catalog through catalog's gRPC contract (never its tables): one
//! category, N published products with two SKUs each, one warehouse and stock of every SKU.

use anyhow::Context as _;
use siyu_platform::seed::authed;
use siyu_proto::catalog::v1 as pb;
use siyu_proto::common::v1 as common;
use uuid::Uuid;

use super::PlatformFixture;

/// Lines per ReceiveStock call (the service accepts up to 500).
const RECEIPT_LINES: usize = 200;
/// SKUs per product.
const COLOURS: [&str; 2] = ["red", "blue"];

/// What [`PlatformFixture::seed_catalog`] created.
#[derive(Debug, Clone)]
pub struct SeededCatalog {
    /// Published product ids, in creation order.
    pub products: Vec<String>,
    /// Every SKU id.
    pub skus: Vec<String>,
    /// The warehouse holding the stock.
    pub warehouse: String,
}

fn key() -> String {
    format!("loadgen-{}", Uuid::now_v7().simple())
}

fn cny(minor_units: i64) -> common::Money {
    common::Money {
        minor_units,
        currency_code: "CNY".into(),
    }
}

fn product(category_id: &str, n: usize) -> pb::Product {
    let price = 1_000 + i64::try_from(n % 97).unwrap_or(0) * 100;
    pb::Product {
        title: format!("loadgen product {n}"),
        category_id: category_id.into(),
        brand: "loadgen".into(),
        media: vec![pb::Media {
            kind: pb::MediaKind::Image as i32,
            url: format!("https://example.com/loadgen/{n}.jpg"),
            ..Default::default()
        }],
        spec_dimensions: vec![pb::SpecDimension {
            name: "colour".into(),
            values: COLOURS.iter().map(|c| (*c).to_owned()).collect(),
        }],
        description: format!("loadgen product {n}"),
        skus: COLOURS
            .iter()
            .enumerate()
            .map(|(i, colour)| pb::Sku {
                specs: vec![pb::SpecValue {
                    dimension: "colour".into(),
                    value: (*colour).into(),
                }],
                sku_code: format!("LG-{n:05}-{i}"),
                list_price: Some(cny(price + price / 5)),
                sale_price: Some(cny(price)),
                enabled: true,
                weight_grams: 300,
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

impl PlatformFixture {
    /// Creates `n` published products (two SKUs each) and `units` of every SKU at a warehouse,
    /// as the tenant admin, through CatalogService and InventoryService.
    pub async fn seed_catalog(&self, n: usize, units: i32) -> anyhow::Result<SeededCatalog> {
        let token = &self.admin_token;
        let mut catalog =
            pb::catalog_service_client::CatalogServiceClient::new(self.catalog.clone());
        let category = pb::CreateCategoryRequest {
            category: Some(pb::Category {
                name: "loadgen".into(),
                ..Default::default()
            }),
        };
        let category_id = catalog
            .create_category(authed(category, token, Some(&key())))
            .await
            .context("CreateCategory")?
            .into_inner()
            .category
            .context("CreateCategory answered no category")?
            .category_id;
        let (mut products, mut skus) = (Vec::with_capacity(n), Vec::with_capacity(2 * n));
        for i in 0..n {
            let request = pb::CreateProductRequest {
                product: Some(product(&category_id, i)),
            };
            let created = catalog
                .create_product(authed(request, token, Some(&key())))
                .await
                .context("CreateProduct")?
                .into_inner()
                .product
                .context("CreateProduct answered no product")?;
            let publish = pb::PublishProductRequest {
                product_id: created.product_id.clone(),
            };
            catalog
                .publish_product(authed(publish, token, Some(&key())))
                .await
                .context("PublishProduct")?;
            skus.extend(created.skus.iter().map(|s| s.sku_id.clone()));
            products.push(created.product_id);
        }
        let mut inventory =
            pb::inventory_service_client::InventoryServiceClient::new(self.catalog.clone());
        let location = pb::CreateLocationRequest {
            location: Some(pb::Location {
                kind: pb::LocationKind::Warehouse as i32,
                name: "loadgen warehouse".into(),
                org_path: self.root.clone(),
                ..Default::default()
            }),
        };
        let warehouse = inventory
            .create_location(authed(location, token, Some(&key())))
            .await
            .context("CreateLocation")?
            .into_inner()
            .location
            .context("CreateLocation answered no location")?
            .location_id;
        for chunk in skus.chunks(RECEIPT_LINES) {
            let request = pb::ReceiveStockRequest {
                location_id: warehouse.clone(),
                lines: chunk
                    .iter()
                    .map(|s| pb::SkuQuantity {
                        sku_id: s.clone(),
                        quantity: units,
                    })
                    .collect(),
                ..Default::default()
            };
            inventory
                .receive_stock(authed(request, token, Some(&key())))
                .await
                .context("ReceiveStock")?;
        }
        Ok(SeededCatalog {
            products,
            skus,
            warehouse,
        })
    }
}
