//! InventoryService: reading stock levels and the journal, and low-stock thresholds.

use siyu_proto::catalog::v1 as pb;
use siyu_proto::time::millis;
use siyu_server::Paging;
use tonic::{Request, Response};
use uuid::Uuid;

use crate::AppError;
use crate::app::MAX_QUANTITY;
use crate::app::domain::MovementKind;
use crate::app::stock::levels::{MovementFilter as Filter, Scope};
use crate::grpc::convert::{each, id, ids, opt_id, wire_enum};
use crate::grpc::{Handlers, R, ctx, page_of};

/// ListStockLevels pages by SKU (one location) or by location (one SKU).
const LEVELS: Paging = Paging::new("stock_levels", 20, 200);
/// ListStockMovements pages by id, newest first.
const MOVEMENTS: Paging = Paging::new("movements", 20, 200);

/// The pairs of a GetStockLevels request: 1..200 SKUs × locations, at most 500 pairs.
fn pairs_in(req: &pb::GetStockLevelsRequest) -> Result<(Vec<Uuid>, Vec<Uuid>), AppError> {
    let skus = ids("sku_ids", &req.sku_ids, 200)?;
    if req.sku_ids.len() * req.location_ids.len().max(1) > 500 {
        return Err(AppError::invalid(
            "location_ids",
            "sku_ids × location_ids must be at most 500 pairs",
        ));
    }
    let locations = each("location_ids", &req.location_ids, |f, s| id(f, s))?;
    Ok((skus, locations))
}

/// The one location or the one SKU a ListStockLevels request walks.
fn scope_in(req: &pb::ListStockLevelsRequest) -> Result<Scope, AppError> {
    match (
        opt_id("location_id", &req.location_id)?,
        opt_id("sku_id", &req.sku_id)?,
    ) {
        (Some(l), None) => Ok(Scope::Location(l)),
        (None, Some(s)) => Ok(Scope::Sku(s)),
        _ => Err(AppError::invalid(
            "location_id",
            "exactly one of location_id, sku_id",
        )),
    }
}

/// (SKU, location or every location, threshold) of each item of SetLowStockThresholds.
fn thresholds_in(
    req: &pb::SetLowStockThresholdsRequest,
) -> Result<Vec<(Uuid, Option<Uuid>, i32)>, AppError> {
    if req.thresholds.is_empty() || req.thresholds.len() > 500 {
        return Err(AppError::invalid("thresholds", "must hold 1..500 items"));
    }
    each("thresholds", &req.thresholds, |f, t| {
        let sku = id(&format!("{f}.sku_id"), &t.sku_id)?;
        let location = opt_id(&format!("{f}.location_id"), &t.location_id)?;
        if !(0..=MAX_QUANTITY).contains(&t.threshold) {
            return Err(AppError::invalid(
                format!("{f}.threshold"),
                "must be 0..1000000",
            ));
        }
        Ok((sku, location, t.threshold))
    })
}

impl TryFrom<&pb::ListStockMovementsRequest> for Filter {
    type Error = AppError;

    fn try_from(req: &pb::ListStockMovementsRequest) -> Result<Self, AppError> {
        let mut kinds = Vec::with_capacity(req.types.len());
        for (i, t) in req.types.iter().enumerate() {
            kinds.push(wire_enum::<MovementKind>(
                &format!("types[{i}]"),
                *t,
                "movement type",
            )?);
        }
        Ok(Self {
            location_id: opt_id("location_id", &req.location_id)?,
            sku_id: opt_id("sku_id", &req.sku_id)?,
            kinds,
            order_id: (!req.order_id.is_empty()).then(|| req.order_id.clone()),
            transfer_id: (!req.transfer_id.is_empty()).then(|| req.transfer_id.clone()),
            refund_id: None,
            reference: None,
            start_ms: req.start_time.as_ref().map(millis),
            end_ms: req.end_time.as_ref().map(millis),
        })
    }
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn get(
    h: &Handlers,
    request: Request<pb::GetStockLevelsRequest>,
) -> R<pb::GetStockLevelsResponse> {
    let ctx = ctx(&request)?;
    let (skus, locations) = pairs_in(request.get_ref())?;
    let levels = h.app.stock_levels(&ctx, &skus, &locations).await?;
    Ok(Response::new(pb::GetStockLevelsResponse {
        levels: levels.iter().map(Into::into).collect(),
    }))
}

#[tracing::instrument(
    skip_all,
    fields(location_id = %request.get_ref().location_id, sku_id = %request.get_ref().sku_id)
)]
pub(in crate::grpc) async fn list(
    h: &Handlers,
    request: Request<pb::ListStockLevelsRequest>,
) -> R<pb::ListStockLevelsResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let scope = scope_in(req)?;
    let page = page_of::<Uuid>(&LEVELS, req.page.as_ref())?;
    let (low, nonzero) = (req.low_only, req.nonzero_only);
    let rows = h
        .app
        .list_stock_levels(&ctx, scope, low, nonzero, page.after, page.fetch_limit())
        .await?;
    let (rows, next) = LEVELS.finish(rows, &page, |r| match scope {
        Scope::Location(_) => r.level.sku_id,
        Scope::Sku(_) => r.level.location_id,
    });
    Ok(Response::new(pb::ListStockLevelsResponse {
        levels: rows.iter().map(Into::into).collect(),
        page: Some(next),
    }))
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn set_thresholds(
    h: &Handlers,
    request: Request<pb::SetLowStockThresholdsRequest>,
) -> R<pb::SetLowStockThresholdsResponse> {
    let ctx = ctx(&request)?;
    let items = thresholds_in(request.get_ref())?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let n = app.set_thresholds(txn, &ctx, items).await?;
                Ok(pb::SetLowStockThresholdsResponse { updated_count: n })
            })
        })
        .await
}

#[tracing::instrument(
    skip_all,
    fields(location_id = %request.get_ref().location_id, sku_id = %request.get_ref().sku_id)
)]
pub(in crate::grpc) async fn movements(
    h: &Handlers,
    request: Request<pb::ListStockMovementsRequest>,
) -> R<pb::ListStockMovementsResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let filter = Filter::try_from(req)?;
    let page = page_of::<Uuid>(&MOVEMENTS, req.page.as_ref())?;
    let rows = h
        .app
        .list_movements(&ctx, filter, page.after, page.fetch_limit())
        .await?;
    let (rows, next) = MOVEMENTS.finish(rows, &page, |m| m.id);
    Ok(Response::new(pb::ListStockMovementsResponse {
        movements: rows.iter().map(Into::into).collect(),
        page: Some(next),
    }))
}
