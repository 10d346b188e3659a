//! Catalog's products: categories, published products with two SKUs each, and stock received
//! at every location.

use siyu_proto::catalog::v1 as pb;
use siyu_proto::common::v1 as common;
use tonic::transport::Channel;

use super::Inventory;
use crate::seed::data::{CATEGORIES, COLOURS, price_fen, stock_units};
use crate::seed::{LocationsSeed, ProductsSeed, SeedRecord, Step, authed, pending_reason};

type Catalog = pb::catalog_service_client::CatalogServiceClient<Channel>;

/// Lines per ReceiveStock call (the service accepts up to 100).
const RECEIPT_LINES: usize = 50;

/// Categories, ~50 published products with two SKUs each, and stock at every location.
pub async fn seed_products(channel: &Channel, admin: &str, record: &mut SeedRecord) -> Step {
    if record.products.is_some() {
        return Step::Done;
    }
    let Some(locations) = record.locations.clone() else {
        return Step::Pending("needs the locations".into());
    };
    match products(channel, admin, &locations).await {
        Ok(seed) => {
            record.products = Some(seed);
            Step::Done
        }
        Err(reason) => Step::Pending(reason),
    }
}

async fn products(
    channel: &Channel,
    admin: &str,
    locations: &LocationsSeed,
) -> Result<ProductsSeed, String> {
    let mut catalog = Catalog::new(channel.clone());
    let mut seed = ProductsSeed {
        categories: Vec::new(),
        products: Vec::new(),
        skus: 0,
        example_product_id: String::new(),
    };
    let mut sku_ids = Vec::new();
    let mut n = 0usize;
    for (c, (name, titles)) in CATEGORIES.iter().enumerate() {
        let request = pb::CreateCategoryRequest {
            category: Some(pb::Category {
                name: (*name).into(),
                sort_order: c as i32,
                ..Default::default()
            }),
        };
        let key = format!("siyu-dev-seed-category-{c}");
        let category = catalog
            .create_category(authed(request, admin, Some(&key)))
            .await
            .map_err(|s| pending_reason("CatalogService.CreateCategory", &s))?
            .into_inner()
            .category
            .unwrap_or_default();
        for title in *titles {
            let product = product(&category.category_id, title, n);
            let key = format!("siyu-dev-seed-product-{n}");
            let created = catalog
                .create_product(authed(
                    pb::CreateProductRequest {
                        product: Some(product),
                    },
                    admin,
                    Some(&key),
                ))
                .await
                .map_err(|s| pending_reason("CatalogService.CreateProduct", &s))?
                .into_inner()
                .product
                .unwrap_or_default();
            let key = format!("siyu-dev-seed-publish-{n}");
            let publish = pb::PublishProductRequest {
                product_id: created.product_id.clone(),
            };
            catalog
                .publish_product(authed(publish, admin, Some(&key)))
                .await
                .map_err(|s| pending_reason("CatalogService.PublishProduct", &s))?;
            sku_ids.extend(created.skus.iter().map(|s| s.sku_id.clone()));
            seed.products.push(created.product_id);
            n += 1;
        }
        seed.categories.push(category.category_id);
    }
    seed.skus = sku_ids.len();
    seed.example_product_id = seed.products.first().cloned().unwrap_or_default();
    receive_everywhere(channel, admin, locations, &sku_ids).await?;
    Ok(seed)
}

fn product(category_id: &str, title: &str, n: usize) -> pb::Product {
    let price = price_fen(n);
    pb::Product {
        title: title.into(),
        subtitle: "思域演示商品".into(),
        category_id: category_id.into(),
        brand: "思域".into(),
        media: vec![pb::Media {
            kind: pb::MediaKind::Image as i32,
            url: format!("https://picsum.photos/seed/siyu-{n}/800/800"),
            ..Default::default()
        }],
        spec_dimensions: vec![pb::SpecDimension {
            name: "颜色".into(),
            values: COLOURS.iter().map(|c| (*c).to_owned()).collect(),
        }],
        description: format!("{title}：演示数据，由 siyu dev 生成。"),
        keywords: vec![title.into()],
        skus: COLOURS
            .iter()
            .enumerate()
            .map(|(i, colour)| pb::Sku {
                specs: vec![pb::SpecValue {
                    dimension: "颜色".into(),
                    value: (*colour).into(),
                }],
                sku_code: format!("DEMO-{n:03}-{i}"),
                list_price: Some(cny(price + price / 5)),
                sale_price: Some(cny(price)),
                enabled: true,
                member_discount_eligible: true,
                weight_grams: 300,
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

fn cny(minor_units: i64) -> common::Money {
    common::Money {
        minor_units,
        currency_code: "CNY".into(),
    }
}

async fn receive_everywhere(
    channel: &Channel,
    admin: &str,
    locations: &LocationsSeed,
    sku_ids: &[String],
) -> Result<(), String> {
    let mut client = Inventory::new(channel.clone());
    let all = locations
        .stores
        .iter()
        .map(|s| (s, false))
        .chain(std::iter::once((&locations.warehouse, true)));
    for (l, (location, warehouse)) in all.enumerate() {
        let lines: Vec<pb::SkuQuantity> = sku_ids
            .iter()
            .enumerate()
            .map(|(s, sku)| pb::SkuQuantity {
                sku_id: sku.clone(),
                quantity: stock_units(s, l, warehouse),
            })
            .filter(|line| line.quantity > 0)
            .collect();
        for (chunk, lines) in lines.chunks(RECEIPT_LINES).enumerate() {
            let reference = format!("siyu-dev-seed-{chunk}");
            let request = pb::ReceiveStockRequest {
                location_id: location.id.clone(),
                lines: lines.to_vec(),
                reference: reference.clone(),
                note: "siyu dev demo stock".into(),
            };
            let key = format!("{reference}-{}", location.id);
            client
                .receive_stock(authed(request, admin, Some(&key)))
                .await
                .map_err(|s| pending_reason("InventoryService.ReceiveStock", &s))?;
        }
    }
    Ok(())
}
