//! InventoryService: stores and warehouses — create, update (field mask), get, list.

use siyu_core::OrgPath;
use siyu_proto::catalog::v1 as pb;
use siyu_proto::common::v1 as common;
use siyu_proto::time::timestamp_ms;
use siyu_server::Paging;
use tonic::{Request, Response};
use uuid::Uuid;

use super::convert::{geo, id, mask, required};
use super::{Handlers, R, ctx, page_of};
use crate::AppError;
use crate::app::MAX_QUANTITY;
use crate::app::domain::{Address, Location, LocationKind, LocationStatus};
use crate::app::locations::LocationPatch;

/// ListLocations pages by (name, id).
const LOCATIONS: Paging = Paging::new("locations", 20, 200);

/// Paths UpdateLocation accepts (kind, id and org path are immutable).
const UPDATABLE: &[&str] = &[
    "name",
    "address",
    "status",
    "pickup_enabled",
    "delivery_enabled",
    "delivery_radius_meters",
    "priority",
    "opening_hours",
    "default_low_stock_threshold",
];

/// A location name: 1..100 characters after trimming.
fn name(v: &str) -> Result<String, AppError> {
    let name = v.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid(
            "location.name",
            "must be 1..100 characters",
        ));
    }
    Ok(name.to_owned())
}

/// A delivery radius: 0..100,000 m.
fn radius(r: i32) -> Result<i32, AppError> {
    if (0..=100_000).contains(&r) {
        Ok(r)
    } else {
        Err(AppError::invalid(
            "location.delivery_radius_meters",
            "must be 0..100000",
        ))
    }
}

/// A default low-stock threshold: 0..MAX_QUANTITY.
fn threshold(t: i32) -> Result<i32, AppError> {
    if (0..=MAX_QUANTITY).contains(&t) {
        Ok(t)
    } else {
        Err(AppError::invalid(
            "location.default_low_stock_threshold",
            "must be 0..1000000",
        ))
    }
}

/// A location's address (coordinates checked when present).
fn address(a: Option<&common::Address>) -> Result<Address, AppError> {
    let a = a.cloned().unwrap_or_default();
    Ok(Address {
        geo: a
            .location
            .as_ref()
            .map(|p| geo("location.address.location", p))
            .transpose()?,
        province: a.province,
        city: a.city,
        district: a.district,
        detail: a.detail,
        postal_code: a.postal_code,
        contact_name: a.contact_name,
        contact_phone: a.contact_phone,
    })
}

fn status(v: i32, allowed: &[LocationStatus], what: &str) -> Result<LocationStatus, AppError> {
    let s = match pb::LocationStatus::try_from(v) {
        Ok(pb::LocationStatus::Active) => Some(LocationStatus::Active),
        Ok(pb::LocationStatus::Suspended) => Some(LocationStatus::Suspended),
        Ok(pb::LocationStatus::Closed) => Some(LocationStatus::Closed),
        _ => None,
    };
    s.filter(|s| allowed.contains(s))
        .ok_or_else(|| AppError::invalid("location.status", what))
}

impl TryFrom<&pb::Location> for Location {
    type Error = AppError;

    /// The location of a CreateLocation request: a store keeps its (org unit) id, a warehouse
    /// gets one from the app.
    fn try_from(l: &pb::Location) -> Result<Self, AppError> {
        let kind = match pb::LocationKind::try_from(l.kind) {
            Ok(pb::LocationKind::Store) => LocationKind::Store,
            Ok(pb::LocationKind::Warehouse) => LocationKind::Warehouse,
            _ => {
                return Err(AppError::invalid(
                    "location.kind",
                    "must be STORE or WAREHOUSE",
                ));
            }
        };
        let name = name(&l.name)?;
        let org_path = OrgPath::parse(&l.org_path)
            .map_err(|_| AppError::invalid("location.org_path", "must be id/id/id"))?;
        let id = match kind {
            LocationKind::Store => id("location.location_id", &l.location_id)?,
            LocationKind::Warehouse => Uuid::nil(),
        };
        let status = match l.status {
            0 => LocationStatus::Active,
            s => status(
                s,
                &[LocationStatus::Active, LocationStatus::Suspended],
                "must be ACTIVE or SUSPENDED on create",
            )?,
        };
        Ok(Self {
            id,
            kind,
            name,
            org_path,
            delivery_radius_m: radius(l.delivery_radius_meters)?,
            default_low_threshold: threshold(l.default_low_stock_threshold)?,
            address: address(l.address.as_ref())?,
            status,
            pickup_enabled: l.pickup_enabled,
            delivery_enabled: l.delivery_enabled,
            priority: l.priority,
            opening_hours: l.opening_hours.clone(),
            updated_at_ms: 0,
        })
    }
}

impl From<&Location> for pb::Location {
    fn from(l: &Location) -> Self {
        let a = &l.address;
        Self {
            location_id: l.id.to_string(),
            kind: l.kind as i32,
            name: l.name.clone(),
            address: Some(common::Address {
                province: a.province.clone(),
                city: a.city.clone(),
                district: a.district.clone(),
                detail: a.detail.clone(),
                postal_code: a.postal_code.clone(),
                contact_name: a.contact_name.clone(),
                contact_phone: a.contact_phone.clone(),
                location: a.geo.map(|g| common::GeoPoint {
                    latitude: g.lat,
                    longitude: g.lng,
                }),
            }),
            status: l.status as i32,
            pickup_enabled: l.pickup_enabled,
            delivery_enabled: l.delivery_enabled,
            delivery_radius_meters: l.delivery_radius_m,
            priority: l.priority,
            opening_hours: l.opening_hours.clone(),
            default_low_stock_threshold: l.default_low_threshold,
            updated_at: Some(timestamp_ms(l.updated_at_ms)),
            org_path: l.org_path.to_path_string(),
        }
    }
}

/// The location and the masked changes of an UpdateLocation request, checked with the rules
/// of CreateLocation.
fn update_in(req: &pb::UpdateLocationRequest) -> Result<(Uuid, LocationPatch), AppError> {
    let l = required("location", req.location.as_ref())?;
    let id = id("location.location_id", &l.location_id)?;
    let mut p = LocationPatch::default();
    for path in mask(req.update_mask.as_ref(), UPDATABLE)? {
        match path.as_str() {
            "name" => p.name = Some(name(&l.name)?),
            "address" => p.address = Some(address(l.address.as_ref())?),
            "status" => {
                let all = [
                    LocationStatus::Active,
                    LocationStatus::Suspended,
                    LocationStatus::Closed,
                ];
                p.status = Some(status(
                    l.status,
                    &all,
                    "must be ACTIVE, SUSPENDED or CLOSED",
                )?);
            }
            "pickup_enabled" => p.pickup_enabled = Some(l.pickup_enabled),
            "delivery_enabled" => p.delivery_enabled = Some(l.delivery_enabled),
            "delivery_radius_meters" => {
                p.delivery_radius_m = Some(radius(l.delivery_radius_meters)?)
            }
            "priority" => p.priority = Some(l.priority),
            "opening_hours" => {
                if l.opening_hours.chars().count() > 200 {
                    return Err(AppError::invalid(
                        "location.opening_hours",
                        "must be at most 200 characters",
                    ));
                }
                p.opening_hours = Some(l.opening_hours.clone());
            }
            _ => p.default_low_threshold = Some(threshold(l.default_low_stock_threshold)?),
        }
    }
    Ok((id, p))
}

/// The kind and statuses ListLocations filters by.
fn filter_in(
    req: &pb::ListLocationsRequest,
) -> Result<(Option<LocationKind>, Vec<LocationStatus>), AppError> {
    let kind = match pb::LocationKind::try_from(req.kind) {
        Ok(pb::LocationKind::Unspecified) => None,
        Ok(pb::LocationKind::Store) => Some(LocationKind::Store),
        Ok(pb::LocationKind::Warehouse) => Some(LocationKind::Warehouse),
        Err(_) => return Err(AppError::invalid("kind", "unknown kind")),
    };
    let mut statuses = Vec::with_capacity(req.statuses.len());
    for (i, s) in req.statuses.iter().enumerate() {
        statuses.push(match pb::LocationStatus::try_from(*s) {
            Ok(pb::LocationStatus::Active) => LocationStatus::Active,
            Ok(pb::LocationStatus::Suspended) => LocationStatus::Suspended,
            Ok(pb::LocationStatus::Closed) => LocationStatus::Closed,
            _ => {
                return Err(AppError::invalid(
                    format!("statuses[{i}]"),
                    "unknown status",
                ));
            }
        });
    }
    Ok((kind, statuses))
}

#[tracing::instrument(skip_all)]
pub(super) async fn create(
    h: &Handlers,
    request: Request<pb::CreateLocationRequest>,
) -> R<pb::CreateLocationResponse> {
    let ctx = ctx(&request)?;
    let location = Location::try_from(required("location", request.get_ref().location.as_ref())?)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let l = app.create_location(txn, &ctx, location).await?;
                Ok(pb::CreateLocationResponse {
                    location: Some((&l).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(location_id))]
pub(super) async fn update(
    h: &Handlers,
    request: Request<pb::UpdateLocationRequest>,
) -> R<pb::UpdateLocationResponse> {
    let ctx = ctx(&request)?;
    let (id, patch) = update_in(request.get_ref())?;
    tracing::Span::current().record("location_id", tracing::field::display(id));
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let l = app.update_location(txn, &ctx, id, patch).await?;
                Ok(pb::UpdateLocationResponse {
                    location: Some((&l).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(location_id = %request.get_ref().location_id))]
pub(super) async fn get(
    h: &Handlers,
    request: Request<pb::GetLocationRequest>,
) -> R<pb::GetLocationResponse> {
    let ctx = ctx(&request)?;
    let id = id("location_id", &request.get_ref().location_id)?;
    let l = h.app.get_location(&ctx, id).await?;
    Ok(Response::new(pb::GetLocationResponse {
        location: Some((&l).into()),
    }))
}

#[tracing::instrument(skip_all)]
pub(super) async fn list(
    h: &Handlers,
    request: Request<pb::ListLocationsRequest>,
) -> R<pb::ListLocationsResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let (kind, statuses) = filter_in(req)?;
    let page = page_of::<(String, Uuid)>(&LOCATIONS, req.page.as_ref())?;
    let rows = h
        .app
        .list_locations(&ctx, kind, statuses, page.after.clone(), page.fetch_limit())
        .await?;
    let (rows, next) = LOCATIONS.finish(rows, &page, |l| (l.name.clone(), l.id));
    Ok(Response::new(pb::ListLocationsResponse {
        locations: rows.iter().map(Into::into).collect(),
        page: Some(next),
    }))
}
