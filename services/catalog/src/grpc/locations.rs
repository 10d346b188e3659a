//! Locations on the wire: UpdateLocation's field mask into a [`LocationPatch`], validated with
//! the same rules as CreateLocation.

use siyu_proto::catalog::v1 as pb;
use tonic::{Request, Response, Status};

use super::Handlers;
use super::catalog_convert::mask;
use super::convert::{address_in, id, location_name, location_out, radius, threshold};
use crate::app::AppError;
use crate::app::domain::LocationStatus;
use crate::app::invalid;
use crate::app::locations::LocationPatch;

/// Paths UpdateLocation accepts (kind, id and org path are immutable).
pub const UPDATABLE: &[&str] = &[
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

/// The patch of an UpdateLocation request.
pub fn patch_in(req: &pb::UpdateLocationRequest) -> Result<(uuid::Uuid, LocationPatch), AppError> {
    let l = req
        .location
        .as_ref()
        .ok_or_else(|| invalid("location", "required"))?;
    let id = id("location.location_id", &l.location_id)?;
    let mut p = LocationPatch::default();
    for path in mask(req.update_mask.as_ref(), UPDATABLE)? {
        match path.as_str() {
            "name" => p.name = Some(location_name(&l.name)?),
            "address" => p.address = Some(address_in(l.address.as_ref())?),
            "status" => {
                p.status = Some(match pb::LocationStatus::try_from(l.status) {
                    Ok(pb::LocationStatus::Active) => LocationStatus::Active,
                    Ok(pb::LocationStatus::Suspended) => LocationStatus::Suspended,
                    Ok(pb::LocationStatus::Closed) => LocationStatus::Closed,
                    _ => {
                        return Err(invalid(
                            "location.status",
                            "must be ACTIVE, SUSPENDED or CLOSED",
                        ));
                    }
                });
            }
            "pickup_enabled" => p.pickup_enabled = Some(l.pickup_enabled),
            "delivery_enabled" => p.delivery_enabled = Some(l.delivery_enabled),
            "delivery_radius_meters" => {
                p.delivery_radius_m = Some(radius(l.delivery_radius_meters)?)
            }
            "priority" => p.priority = Some(l.priority),
            "opening_hours" => {
                if l.opening_hours.chars().count() > 200 {
                    return Err(invalid(
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

impl Handlers {
    /// UpdateLocation (idempotent by `x-idempotency-key`).
    #[tracing::instrument(skip_all)]
    pub async fn update_location_rpc(
        &self,
        request: Request<pb::UpdateLocationRequest>,
    ) -> Result<Response<pb::UpdateLocationResponse>, Status> {
        let (req, ctx, key, app, c) = self.begin(request)?;
        let (id, patch) = patch_in(&req).map_err(Status::from)?;
        self.mutate(&ctx, key, "UpdateLocation", &req, move |txn| {
            Box::pin(async move {
                let l = app.update_location(txn, &c, id, patch).await?;
                Ok(pb::UpdateLocationResponse {
                    location: Some(location_out(&l)),
                })
            })
        })
        .await
        .map(Response::new)
    }
}
