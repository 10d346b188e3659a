//! Seeding catalog: store and warehouse locations, then categories, published products with
//! two SKUs each, and stock received at every location — through catalog's gRPC contract.

use siyu_proto::catalog::v1 as pb;
use siyu_proto::common::v1 as common;
use tonic::transport::Channel;

use super::data::{CATEGORIES, COLOURS, DemoStore, REGIONS, WAREHOUSE, price_fen, stock_units};
use super::{LocationsSeed, ProductsSeed, SeedRecord, Step, UnitSeed, authed, pending_reason};

type Inventory = pb::inventory_service_client::InventoryServiceClient<Channel>;
type Catalog = pb::catalog_service_client::CatalogServiceClient<Channel>;

/// Lines per ReceiveStock call (the service accepts up to 100).
const RECEIPT_LINES: usize = 50;

/// A store or warehouse location; stores use the org tree's ids when it was seeded.
pub async fn seed_locations(channel: &Channel, admin: &str, record: &mut SeedRecord) -> Step {
    if record.locations.is_some() {
        return Step::Done;
    }
    let Some(root) = record.tenant.as_ref().map(|t| t.root_org_unit_id.clone()) else {
        return Step::Pending("no tenant".into());
    };
    let demo: Vec<&DemoStore> = REGIONS.iter().flat_map(|r| r.stores.iter()).collect();
    let (stores, synthetic) = match &record.org {
        Some(org) => (org.stores.clone(), false),
        None => (
            demo.iter()
                .map(|store| {
                    let id = siyu_core::id::new_string();
                    UnitSeed {
                        org_path: format!("{root}/{id}"),
                        id,
                        name: store.name.into(),
                    }
                })
                .collect(),
            true,
        ),
    };
    let mut client = Inventory::new(channel.clone());
    for (unit, store) in stores.iter().zip(&demo) {
        let location = location(unit, store, pb::LocationKind::Store);
        if let Err(status) = create(&mut client, admin, location, &unit.id).await {
            return Step::Pending(pending_reason("InventoryService.CreateLocation", &status));
        }
    }
    // Catalog assigns warehouse ids itself (stores take their org unit's id).
    let mut warehouse = UnitSeed {
        id: String::new(),
        name: WAREHOUSE.name.into(),
        org_path: root,
    };
    let location = location(&warehouse, &WAREHOUSE, pb::LocationKind::Warehouse);
    match create(&mut client, admin, location, "warehouse").await {
        Ok(id) => warehouse.id = id,
        Err(status) => {
            return Step::Pending(pending_reason("InventoryService.CreateLocation", &status));
        }
    }
    record.locations = Some(LocationsSeed {
        stores,
        warehouse,
        synthetic_store_ids: synthetic,
    });
    Step::Done
}

fn location(unit: &UnitSeed, place: &DemoStore, kind: pb::LocationKind) -> pb::Location {
    let store = kind == pb::LocationKind::Store;
    pb::Location {
        location_id: unit.id.clone(),
        kind: kind as i32,
        name: unit.name.clone(),
        org_path: unit.org_path.clone(),
        address: Some(common::Address {
            city: place.city.into(),
            detail: place.detail.into(),
            location: Some(common::GeoPoint {
                latitude: place.latitude,
                longitude: place.longitude,
            }),
            ..Default::default()
        }),
        pickup_enabled: store,
        delivery_enabled: store,
        delivery_radius_meters: if store { 5_000 } else { 0 },
        priority: if store { 0 } else { 1 },
        default_low_stock_threshold: 3,
        ..Default::default()
    }
}

async fn create(
    client: &mut Inventory,
    admin: &str,
    location: pb::Location,
    key: &str,
) -> Result<String, tonic::Status> {
    let key = format!("siyu-dev-seed-location-{key}");
    let request = pb::CreateLocationRequest {
        location: Some(location),
    };
    let created = client
        .create_location(authed(request, admin, Some(&key)))
        .await?
        .into_inner();
    Ok(created.location.unwrap_or_default().location_id)
}

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
