//! InventoryService: the checkout saga (reserve, confirm, release, get) and restocked returns.

use siyu_proto::catalog::v1 as pb;
use siyu_proto::catalog::v1::allocation_policy::Target as WireTarget;
use siyu_proto::time::timestamp_ms;
use tonic::{Request, Response};
use uuid::Uuid;

use super::convert::{geo, id, lines, opt_id, quantity};
use super::{Handlers, R, ctx};
use crate::AppError;
use crate::app::domain::Reservation;
use crate::app::reservations::Reserve;
use crate::app::reservations::allocation::{Policy, Target};

/// Default and bounds of a reservation's TTL, seconds.
const TTL_DEFAULT: i32 = 900;
const TTL_MIN: i32 = 60;
const TTL_MAX: i32 = 86_400;

impl TryFrom<&pb::ReserveStockRequest> for Reserve {
    type Error = AppError;

    fn try_from(req: &pb::ReserveStockRequest) -> Result<Self, AppError> {
        let order_id = id("order_id", &req.order_id)?;
        let lines = lines(
            "lines",
            req.lines.iter().map(|l| (l.sku_id.as_str(), l.quantity)),
            100,
        )?;
        let ttl = match req.ttl_seconds {
            0 => TTL_DEFAULT,
            t if (TTL_MIN..=TTL_MAX).contains(&t) => t,
            _ => return Err(AppError::invalid("ttl_seconds", "must be 0 or 60..86400")),
        };
        let a = req.allocation.clone().unwrap_or_default();
        let target = match &a.target {
            Some(WireTarget::LocationId(l)) => Target::Fixed(id("allocation.location_id", l)?),
            Some(WireTarget::PickupStoreId(l)) => {
                Target::Pickup(id("allocation.pickup_store_id", l)?)
            }
            None => Target::Delivery,
        };
        let delivery_to = a
            .delivery_location
            .as_ref()
            .map(|g| geo("allocation.delivery_location", g))
            .transpose()?;
        if target == Target::Delivery && delivery_to.is_none() && !a.allow_warehouse {
            return Err(AppError::invalid(
                "allocation",
                "a location, a pickup store, a delivery location or allow_warehouse is required",
            ));
        }
        Ok(Self {
            order_id,
            lines,
            policy: Policy {
                target,
                delivery_to,
                allow_warehouse: a.allow_warehouse,
            },
            ttl_secs: i64::from(ttl),
            revive: req.revive,
        })
    }
}

/// (SKU, quantity, location or the one it was sold from) of each returned line, distinct SKUs.
fn restock_lines(
    req: &pb::RestockReturnRequest,
) -> Result<Vec<(Uuid, i32, Option<Uuid>)>, AppError> {
    if req.lines.is_empty() || req.lines.len() > 100 {
        return Err(AppError::invalid("lines", "must hold 1..100 lines"));
    }
    let mut out: Vec<(Uuid, i32, Option<Uuid>)> = Vec::with_capacity(req.lines.len());
    for (i, l) in req.lines.iter().enumerate() {
        let sku = id(&format!("lines[{i}].sku_id"), &l.sku_id)?;
        if out.iter().any(|(s, _, _)| *s == sku) {
            return Err(AppError::invalid(
                format!("lines[{i}].sku_id"),
                "duplicate SKU",
            ));
        }
        out.push((
            sku,
            quantity(&format!("lines[{i}].quantity"), l.quantity)?,
            opt_id(&format!("lines[{i}].location_id"), &l.location_id)?,
        ));
    }
    Ok(out)
}

impl From<&Reservation> for pb::Reservation {
    fn from(r: &Reservation) -> Self {
        Self {
            reservation_id: r.id.to_string(),
            order_id: r.order_id.to_string(),
            status: r.status as i32,
            lines: r
                .lines
                .iter()
                .map(|l| pb::ReservationLine {
                    sku_id: l.sku_id.to_string(),
                    quantity: l.quantity,
                    location_id: l.location_id.to_string(),
                })
                .collect(),
            expires_at: Some(timestamp_ms(r.expires_at_ms)),
            created_at: Some(timestamp_ms(r.created_at_ms)),
            closed_at: r.closed_at_ms.map(timestamp_ms),
            release_reason: r.release_reason.clone(),
        }
    }
}

#[tracing::instrument(skip_all, fields(order_id = %request.get_ref().order_id))]
pub(super) async fn reserve(
    h: &Handlers,
    request: Request<pb::ReserveStockRequest>,
) -> R<pb::ReserveStockResponse> {
    let ctx = ctx(&request)?;
    let input = Reserve::try_from(request.get_ref())?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let r = app.reserve(txn, &ctx, input).await?;
                Ok(pb::ReserveStockResponse {
                    reservation: Some((&r).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(order_id = %request.get_ref().order_id))]
pub(super) async fn confirm(
    h: &Handlers,
    request: Request<pb::ConfirmReservationRequest>,
) -> R<pb::ConfirmReservationResponse> {
    let ctx = ctx(&request)?;
    let order = id("order_id", &request.get_ref().order_id)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let operator = &ctx.principal.subject;
                let r = app.confirm(txn, ctx.tenant, order, operator).await?;
                Ok(pb::ConfirmReservationResponse {
                    reservation: Some((&r).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(order_id = %request.get_ref().order_id))]
pub(super) async fn release(
    h: &Handlers,
    request: Request<pb::ReleaseReservationRequest>,
) -> R<pb::ReleaseReservationResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let order = id("order_id", &req.order_id)?;
    let reason: String = if req.reason.is_empty() {
        "RELEASED".into()
    } else {
        req.reason.chars().take(64).collect()
    };
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let r = app.release(txn, ctx.tenant, order, &reason).await?;
                Ok(pb::ReleaseReservationResponse {
                    reservation: r.as_ref().map(Into::into),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(order_id = %request.get_ref().order_id))]
pub(super) async fn get(
    h: &Handlers,
    request: Request<pb::GetReservationRequest>,
) -> R<pb::GetReservationResponse> {
    let ctx = ctx(&request)?;
    let order = id("order_id", &request.get_ref().order_id)?;
    let r = h.app.get_reservation(&ctx, order).await?;
    Ok(Response::new(pb::GetReservationResponse {
        reservation: Some((&r).into()),
    }))
}

#[tracing::instrument(skip_all, fields(order_id = %request.get_ref().order_id))]
pub(super) async fn restock(
    h: &Handlers,
    request: Request<pb::RestockReturnRequest>,
) -> R<pb::RestockReturnResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let order = id("order_id", &req.order_id)?;
    if req.refund_id.is_empty() || req.refund_id.len() > 128 {
        return Err(AppError::invalid("refund_id", "must be 1..128 characters").into());
    }
    let (refund, lines) = (req.refund_id.clone(), restock_lines(req)?);
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let operator = &ctx.principal.subject;
                let movements = app
                    .restock(txn, ctx.tenant, order, &refund, lines, operator)
                    .await?;
                Ok(pb::RestockReturnResponse {
                    movements: movements.iter().map(Into::into).collect(),
                })
            })
        })
        .await
}
