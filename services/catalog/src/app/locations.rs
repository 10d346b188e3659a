//! Locations: stores (keyed by identity's org unit id) and warehouses.

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, TenantId};
use uuid::Uuid;

use super::domain::{Location, LocationKind, LocationStatus};
use super::{App, AppError, access, invalid};
use crate::repo;

/// Loads a location of the tenant or fails with LOCATION_NOT_FOUND.
pub async fn load(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<Location, AppError> {
    repo::locations::get(conn, tenant, id)
        .await?
        .ok_or(AppError::NotFound("LOCATION_NOT_FOUND"))
}

/// Loads an ACTIVE location or fails with LOCATION_NOT_FOUND / LOCATION_NOT_ACTIVE.
pub async fn load_active(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<Location, AppError> {
    let l = load(conn, tenant, id).await?;
    if l.status == LocationStatus::Active {
        Ok(l)
    } else {
        Err(AppError::Precondition("LOCATION_NOT_ACTIVE"))
    }
}

impl App {
    /// CreateLocation: a store must have coordinates and an org path ending with its own id;
    /// a warehouse gets a fresh id.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn create_location(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        mut l: Location,
    ) -> Result<Location, AppError> {
        match l.kind {
            LocationKind::Store => {
                if l.address.geo.is_none() {
                    return Err(invalid(
                        "location.address.location",
                        "a store needs coordinates",
                    ));
                }
                if l.org_path.unit() != Some(l.id) {
                    return Err(invalid(
                        "location.org_path",
                        "a store's org path must end with its location_id",
                    ));
                }
            }
            LocationKind::Warehouse => l.id = siyu_core::id::new(),
        }
        access::on_location(ctx, access::ADMIN, Some("inventory.write"), &l)?;
        l.updated_at_ms = self.now_ms();
        repo::locations::insert(conn, ctx.tenant, &l).await?;
        Ok(l)
    }

    /// GetLocation.
    pub async fn get_location(&self, ctx: &Ctx, id: Uuid) -> Result<Location, AppError> {
        access::anyone(ctx)?;
        load(&self.db, ctx.tenant, id).await
    }

    /// ListLocations: by name, keyset-paged.
    pub async fn list_locations(
        &self,
        ctx: &Ctx,
        kind: Option<LocationKind>,
        statuses: Vec<LocationStatus>,
        after: Option<(String, Uuid)>,
        limit: u64,
    ) -> Result<Vec<Location>, AppError> {
        access::reader(ctx, "inventory.read")?;
        let statuses = if statuses.is_empty() {
            vec![LocationStatus::Active, LocationStatus::Suspended]
        } else {
            statuses
        };
        repo::locations::list(&self.db, ctx.tenant, kind, &statuses, after.as_ref(), limit).await
    }
}
