//! InventoryService: reading stock levels and the journal, and low-stock thresholds.

use std::collections::HashMap;

use sea_orm::ConnectionTrait;
use siyu_core::TenantId;
use siyu_proto::catalog::v1 as pb;
use tonic::{Request, Response};
use uuid::Uuid;

use crate::app::domain::{MovementKind, StockLevel};
use crate::app::{AppError, MAX_QUANTITY, invalid};
use crate::grpc::convert::{self, id, ids, movement_out, opt_id, page};
use crate::grpc::{Handlers, R, ctx, err};
use crate::repo;
/// Levels on the wire, each with its location's default threshold (one locations query).
pub(super) async fn levels_out(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    levels: &[StockLevel],
) -> Result<Vec<pb::StockLevel>, AppError> {
    let mut ids: Vec<Uuid> = levels.iter().map(|l| l.location_id).collect();
    ids.sort();
    ids.dedup();
    let defaults: HashMap<Uuid, i32> = repo::locations::get_many(conn, tenant, &ids)
        .await?
        .into_iter()
        .map(|l| (l.id, l.default_low_threshold))
        .collect();
    Ok(levels
        .iter()
        .map(|l| convert::level_out(l, defaults.get(&l.location_id).copied().unwrap_or(0)))
        .collect())
}

impl Handlers {
    #[tracing::instrument(skip_all)]
    pub(super) async fn get_stock_levels_rpc(
        &self,
        request: Request<pb::GetStockLevelsRequest>,
    ) -> R<pb::GetStockLevelsResponse> {
        let ctx = ctx(&request)?;
        let req = request.into_inner();
        let skus = ids("sku_ids", &req.sku_ids, 200).map_err(err)?;
        if req.sku_ids.len() * req.location_ids.len().max(1) > 500 {
            return Err(err(invalid(
                "location_ids",
                "sku_ids × location_ids must be at most 500 pairs",
            )));
        }
        let locs = req
            .location_ids
            .iter()
            .enumerate()
            .map(|(i, s)| id(&format!("location_ids[{i}]"), s))
            .collect::<Result<Vec<_>, _>>()
            .map_err(err)?;
        let levels = self
            .app
            .stock_levels(&ctx, &skus, &locs)
            .await
            .map_err(err)?;
        Ok(Response::new(pb::GetStockLevelsResponse {
            levels: levels_out(&self.app.db, ctx.tenant, &levels)
                .await
                .map_err(err)?,
        }))
    }

    #[tracing::instrument(skip_all)]
    pub(super) async fn list_stock_levels_rpc(
        &self,
        request: Request<pb::ListStockLevelsRequest>,
    ) -> R<pb::ListStockLevelsResponse> {
        let ctx = ctx(&request)?;
        let req = request.into_inner();
        let scope = match (
            opt_id("location_id", &req.location_id).map_err(err)?,
            opt_id("sku_id", &req.sku_id).map_err(err)?,
        ) {
            (Some(l), None) => repo::stock::Scope::Location(l),
            (None, Some(s)) => repo::stock::Scope::Sku(s),
            _ => {
                return Err(err(invalid(
                    "location_id",
                    "exactly one of location_id, sku_id",
                )));
            }
        };
        let p = page::<Uuid>("stock_levels", req.page.as_ref()).map_err(err)?;
        let rows = self
            .app
            .list_stock_levels(
                &ctx,
                scope,
                req.low_only,
                req.nonzero_only,
                p.after,
                p.fetch_limit(),
            )
            .await
            .map_err(err)?;
        let (rows, next) =
            siyu_core::PageToken::finish("stock_levels", rows, p.size, |l| match scope {
                repo::stock::Scope::Location(_) => l.sku_id,
                repo::stock::Scope::Sku(_) => l.location_id,
            });
        Ok(Response::new(pb::ListStockLevelsResponse {
            levels: levels_out(&self.app.db, ctx.tenant, &rows)
                .await
                .map_err(err)?,
            page: Some(siyu_proto::common::v1::PageResponse {
                next_page_token: next,
            }),
        }))
    }

    #[tracing::instrument(skip_all)]
    pub(super) async fn set_low_stock_thresholds_rpc(
        &self,
        request: Request<pb::SetLowStockThresholdsRequest>,
    ) -> R<pb::SetLowStockThresholdsResponse> {
        let ctx = ctx(&request)?;
        let key = siyu_server::metadata::idempotency_key(&request)?;
        let req = request.into_inner();
        if req.thresholds.is_empty() || req.thresholds.len() > 500 {
            return Err(err(invalid("thresholds", "must hold 1..500 items")));
        }
        let mut items = Vec::new();
        for (i, t) in req.thresholds.iter().enumerate() {
            let sku = id(&format!("thresholds[{i}].sku_id"), &t.sku_id).map_err(err)?;
            let loc =
                opt_id(&format!("thresholds[{i}].location_id"), &t.location_id).map_err(err)?;
            if !(0..=MAX_QUANTITY).contains(&t.threshold) {
                return Err(err(invalid(
                    format!("thresholds[{i}].threshold"),
                    "must be 0..1000000",
                )));
            }
            items.push((sku, loc, t.threshold));
        }
        let (app, c) = (self.app.clone(), ctx.clone());
        self.mutate(&ctx, key, "SetLowStockThresholds", &req, move |txn| {
            Box::pin(async move {
                let n = app.set_thresholds(txn, &c, items).await?;
                Ok(pb::SetLowStockThresholdsResponse { updated_count: n })
            })
        })
        .await
        .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    pub(super) async fn list_stock_movements_rpc(
        &self,
        request: Request<pb::ListStockMovementsRequest>,
    ) -> R<pb::ListStockMovementsResponse> {
        let ctx = ctx(&request)?;
        let req = request.into_inner();
        let mut kinds = Vec::new();
        for (i, t) in req.types.iter().enumerate() {
            let k = i16::try_from(*t)
                .ok()
                .and_then(|t| MovementKind::try_from(t).ok());
            kinds.push(
                k.ok_or_else(|| err(invalid(format!("types[{i}]"), "unknown movement type")))?,
            );
        }
        let f = repo::movements::Filter {
            location_id: opt_id("location_id", &req.location_id).map_err(err)?,
            sku_id: opt_id("sku_id", &req.sku_id).map_err(err)?,
            kinds,
            order_id: (!req.order_id.is_empty()).then(|| req.order_id.clone()),
            transfer_id: (!req.transfer_id.is_empty()).then(|| req.transfer_id.clone()),
            refund_id: None,
            reference: None,
            start_ms: req.start_time.as_ref().map(convert::ms),
            end_ms: req.end_time.as_ref().map(convert::ms),
        };
        let p = page::<Uuid>("movements", req.page.as_ref()).map_err(err)?;
        let rows = self
            .app
            .list_movements(&ctx, f, p.after, p.fetch_limit())
            .await
            .map_err(err)?;
        let (rows, next) = siyu_core::PageToken::finish("movements", rows, p.size, |m| m.id);
        Ok(Response::new(pb::ListStockMovementsResponse {
            movements: rows.iter().map(movement_out).collect(),
            page: Some(siyu_proto::common::v1::PageResponse {
                next_page_token: next,
            }),
        }))
    }
}
