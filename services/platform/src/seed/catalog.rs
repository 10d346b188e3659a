//! Seeding catalog: store and warehouse locations, then categories, published products with
//! two SKUs each, and stock received at every location — through catalog's gRPC contract.

mod products;

use futures::future::BoxFuture;
use siyu_proto::catalog::v1 as pb;
use siyu_proto::common::v1 as common;
use tonic::transport::Channel;

pub use products::seed_products;

use super::data::{DemoStore, REGIONS, WAREHOUSE};
use super::{LocationsSeed, Seed, SeedRecord, Seeding, Step, UnitSeed, authed, pending_reason};
use crate::registry::catalog::NAME;

type Inventory = pb::inventory_service_client::InventoryServiceClient<Channel>;

/// Catalog's demo data, as the demo tenant's admin: locations, then products with stock.
#[derive(Debug)]
pub struct CatalogSeed;

impl Seed for CatalogSeed {
    fn seed<'a>(&'a self, seeding: &'a mut Seeding) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            let Some(admin) = seeding.admin_token.clone() else {
                seeding.step("locations", Step::Pending("no tenant admin".into()));
                return Ok(());
            };
            let catalog = seeding.channel(NAME)?;
            let step = seed_locations(&catalog, &admin, &mut seeding.record).await;
            seeding.step("locations", step);
            seeding.save()?;
            let step = seed_products(&catalog, &admin, &mut seeding.record).await;
            seeding.step("catalog", step);
            seeding.save()
        })
    }

    fn summary(&self, record: &SeedRecord) -> Vec<(&'static str, String)> {
        let mut lines = Vec::new();
        if let Some(locations) = &record.locations {
            let note = if locations.synthetic_store_ids {
                " (store ids generated here: identity had no org tree yet)"
            } else {
                ""
            };
            let value = format!(
                "{} stores + {}{note}",
                locations.stores.len(),
                locations.warehouse.name
            );
            lines.push(("locations", value));
        }
        if let Some(products) = &record.products {
            let value = format!(
                "{} categories, {} products, {} SKUs, stock everywhere",
                products.categories.len(),
                products.products.len(),
                products.skus
            );
            lines.push(("catalog", value));
        }
        lines
    }

    fn examples(&self, record: &SeedRecord, gateway: &str) -> Vec<String> {
        let Some(products) = &record.products else {
            return Vec::new();
        };
        vec![
            "  # Browse (any token of the tenant, e.g. the consumer's access token):".to_owned(),
            format!(
                "  curl -s {gateway}/api/v1/products/{} -H \"authorization: Bearer $ACCESS_TOKEN\"",
                products.example_product_id
            ),
        ]
    }
}

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
