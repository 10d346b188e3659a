//! `siyu.catalog.v1.InventoryService`.

use siyu_proto::catalog::v1 as pb;
use siyu_proto::catalog::v1::inventory_service_server::InventoryService;
use siyu_server::metadata::idempotency_key;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::convert::{
    self, id, lines, location_out, movement_out, opt_id, page, quantity, reservation_out,
};
use super::{Handlers, ctx};
use crate::app::allocation::{Policy, Target};
use crate::app::domain::{LocationKind, LocationStatus, MovementKind};
use crate::app::reservations::Reserve;
use crate::app::stock::{Adjust, Change, Receive};
use crate::app::{AppError, MAX_QUANTITY, access, invalid};
use crate::repo;

type R<T> = Result<Response<T>, Status>;

fn err(e: AppError) -> Status {
    e.into()
}

/// Default and bounds of a reservation's TTL, seconds.
const TTL_DEFAULT: i32 = 900;
const TTL_MIN: i32 = 60;
const TTL_MAX: i32 = 86_400;

impl Handlers {
    async fn default_thresholds(
        &self,
        tenant: siyu_core::TenantId,
        locs: &[Uuid],
    ) -> Result<std::collections::HashMap<Uuid, i32>, Status> {
        let mut ids = locs.to_vec();
        ids.sort();
        ids.dedup();
        Ok(repo::locations::get_many(&self.app.db, tenant, &ids)
            .await
            .map_err(err)?
            .into_iter()
            .map(|l| (l.id, l.default_low_threshold))
            .collect())
    }

    async fn levels_out(
        &self,
        tenant: siyu_core::TenantId,
        levels: &[crate::app::domain::StockLevel],
    ) -> Result<Vec<pb::StockLevel>, Status> {
        let locs: Vec<Uuid> = levels.iter().map(|l| l.location_id).collect();
        let defaults = self.default_thresholds(tenant, &locs).await?;
        Ok(levels
            .iter()
            .map(|l| convert::level_out(l, defaults.get(&l.location_id).copied().unwrap_or(0)))
            .collect())
    }
}

fn unimplemented(what: &str) -> Status {
    Status::unimplemented(format!("{what} is not implemented yet"))
}

#[tonic::async_trait]
impl InventoryService for Handlers {
    #[tracing::instrument(skip_all)]
    async fn create_location(
        &self,
        request: Request<pb::CreateLocationRequest>,
    ) -> R<pb::CreateLocationResponse> {
        let ctx = ctx(&request)?;
        let key = idempotency_key(&request)?;
        let req = request.into_inner();
        let location = convert::location_in(
            req.location
                .as_ref()
                .ok_or_else(|| err(invalid("location", "required")))?,
        )
        .map_err(err)?;
        let app = self.app.clone();
        let c = ctx.clone();
        self.mutate(&ctx, key, "CreateLocation", &req, move |txn| {
            Box::pin(async move {
                let l = app.create_location(txn, &c, location).await?;
                Ok(pb::CreateLocationResponse {
                    location: Some(location_out(&l)),
                })
            })
        })
        .await
        .map(Response::new)
    }

    async fn update_location(
        &self,
        request: Request<pb::UpdateLocationRequest>,
    ) -> R<pb::UpdateLocationResponse> {
        self.update_location_rpc(request).await
    }

    #[tracing::instrument(skip_all)]
    async fn get_location(
        &self,
        request: Request<pb::GetLocationRequest>,
    ) -> R<pb::GetLocationResponse> {
        let ctx = ctx(&request)?;
        let id = id("location_id", &request.get_ref().location_id).map_err(err)?;
        let l = self.app.get_location(&ctx, id).await.map_err(err)?;
        Ok(Response::new(pb::GetLocationResponse {
            location: Some(location_out(&l)),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn list_locations(
        &self,
        request: Request<pb::ListLocationsRequest>,
    ) -> R<pb::ListLocationsResponse> {
        let ctx = ctx(&request)?;
        let req = request.into_inner();
        let kind = match pb::LocationKind::try_from(req.kind) {
            Ok(pb::LocationKind::Unspecified) => None,
            Ok(pb::LocationKind::Store) => Some(LocationKind::Store),
            Ok(pb::LocationKind::Warehouse) => Some(LocationKind::Warehouse),
            Err(_) => return Err(err(invalid("kind", "unknown kind"))),
        };
        let mut statuses = Vec::new();
        for (i, s) in req.statuses.iter().enumerate() {
            statuses.push(match pb::LocationStatus::try_from(*s) {
                Ok(pb::LocationStatus::Active) => LocationStatus::Active,
                Ok(pb::LocationStatus::Suspended) => LocationStatus::Suspended,
                Ok(pb::LocationStatus::Closed) => LocationStatus::Closed,
                _ => return Err(err(invalid(format!("statuses[{i}]"), "unknown status"))),
            });
        }
        let p = page::<(String, Uuid)>("locations", req.page.as_ref()).map_err(err)?;
        let rows = self
            .app
            .list_locations(&ctx, kind, statuses, p.after.clone(), p.fetch_limit())
            .await
            .map_err(err)?;
        let (rows, next) =
            siyu_core::PageToken::finish("locations", rows, p.size, |l| (l.name.clone(), l.id));
        Ok(Response::new(pb::ListLocationsResponse {
            locations: rows.iter().map(location_out).collect(),
            page: Some(siyu_proto::common::v1::PageResponse {
                next_page_token: next,
            }),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn get_stock_levels(
        &self,
        request: Request<pb::GetStockLevelsRequest>,
    ) -> R<pb::GetStockLevelsResponse> {
        let ctx = ctx(&request)?;
        let req = request.into_inner();
        if req.sku_ids.is_empty() || req.sku_ids.len() > 200 {
            return Err(err(invalid("sku_ids", "must hold 1..200 ids")));
        }
        if req.sku_ids.len() * req.location_ids.len().max(1) > 500 {
            return Err(err(invalid(
                "location_ids",
                "sku_ids × location_ids must be at most 500 pairs",
            )));
        }
        let skus = req
            .sku_ids
            .iter()
            .enumerate()
            .map(|(i, s)| id(&format!("sku_ids[{i}]"), s))
            .collect::<Result<Vec<_>, _>>()
            .map_err(err)?;
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
            levels: self.levels_out(ctx.tenant, &levels).await?,
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn list_stock_levels(
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
            levels: self.levels_out(ctx.tenant, &rows).await?,
            page: Some(siyu_proto::common::v1::PageResponse {
                next_page_token: next,
            }),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn receive_stock(
        &self,
        request: Request<pb::ReceiveStockRequest>,
    ) -> R<pb::ReceiveStockResponse> {
        let ctx = ctx(&request)?;
        let key = idempotency_key(&request)?;
        let req = request.into_inner();
        let input = Receive {
            location_id: id("location_id", &req.location_id).map_err(err)?,
            lines: lines(
                "lines",
                req.lines.iter().map(|l| (l.sku_id.as_str(), l.quantity)),
                500,
            )
            .map_err(err)?,
            reference: req.reference.chars().take(128).collect(),
            note: req.note.chars().take(500).collect(),
        };
        let (app, c) = (self.app.clone(), ctx.clone());
        self.mutate(&ctx, key, "ReceiveStock", &req, move |txn| {
            Box::pin(async move {
                let ms = app.receive(txn, &c, input).await?;
                Ok(pb::ReceiveStockResponse {
                    movements: ms.iter().map(movement_out).collect(),
                })
            })
        })
        .await
        .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn adjust_stock(
        &self,
        request: Request<pb::AdjustStockRequest>,
    ) -> R<pb::AdjustStockResponse> {
        let ctx = ctx(&request)?;
        let key = idempotency_key(&request)?;
        let req = request.into_inner();
        let change = match req.change {
            Some(pb::adjust_stock_request::Change::Delta(d))
                if d != 0 && d.abs() <= MAX_QUANTITY =>
            {
                Change::Delta(d)
            }
            Some(pb::adjust_stock_request::Change::Delta(_)) => {
                return Err(err(invalid(
                    "delta",
                    "must be non-zero and within ±1000000",
                )));
            }
            Some(pb::adjust_stock_request::Change::CountedOnHand(c))
                if (0..=MAX_QUANTITY).contains(&c) =>
            {
                Change::Counted(c)
            }
            Some(pb::adjust_stock_request::Change::CountedOnHand(_)) => {
                return Err(err(invalid("counted_on_hand", "must be 0..1000000")));
            }
            None => {
                return Err(err(invalid(
                    "change",
                    "delta or counted_on_hand is required",
                )));
            }
        };
        let reason = match pb::AdjustReason::try_from(req.reason) {
            Ok(pb::AdjustReason::Unspecified) | Err(_) => {
                return Err(err(invalid("reason", "required")));
            }
            Ok(r) => r,
        };
        if reason == pb::AdjustReason::Other && req.note.trim().is_empty() {
            return Err(err(invalid("note", "required when reason is OTHER")));
        }
        let input = Adjust {
            location_id: id("location_id", &req.location_id).map_err(err)?,
            sku_id: id("sku_id", &req.sku_id).map_err(err)?,
            change,
            reason: i16::try_from(reason as i32).unwrap_or(0),
            note: req.note.chars().take(500).collect(),
            expected_version: req.expected_version,
        };
        let (app, c) = (self.app.clone(), ctx.clone());
        self.mutate(&ctx, key, "AdjustStock", &req, move |txn| {
            Box::pin(async move {
                let location = input.location_id;
                let (m, level) = app.adjust(txn, &c, input).await?;
                let default = repo::locations::get(txn, c.tenant, location)
                    .await?
                    .map(|l| l.default_low_threshold)
                    .unwrap_or(0);
                Ok(pb::AdjustStockResponse {
                    movement: m.as_ref().map(movement_out),
                    level: Some(convert::level_out(&level, default)),
                })
            })
        })
        .await
        .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn set_low_stock_thresholds(
        &self,
        request: Request<pb::SetLowStockThresholdsRequest>,
    ) -> R<pb::SetLowStockThresholdsResponse> {
        let ctx = ctx(&request)?;
        let key = idempotency_key(&request)?;
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
    async fn list_stock_movements(
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

    async fn create_transfer(
        &self,
        _r: Request<pb::CreateTransferRequest>,
    ) -> R<pb::CreateTransferResponse> {
        Err(unimplemented("CreateTransfer"))
    }

    async fn ship_transfer(
        &self,
        _r: Request<pb::ShipTransferRequest>,
    ) -> R<pb::ShipTransferResponse> {
        Err(unimplemented("ShipTransfer"))
    }

    async fn receive_transfer(
        &self,
        _r: Request<pb::ReceiveTransferRequest>,
    ) -> R<pb::ReceiveTransferResponse> {
        Err(unimplemented("ReceiveTransfer"))
    }

    async fn cancel_transfer(
        &self,
        _r: Request<pb::CancelTransferRequest>,
    ) -> R<pb::CancelTransferResponse> {
        Err(unimplemented("CancelTransfer"))
    }

    async fn get_transfer(
        &self,
        _r: Request<pb::GetTransferRequest>,
    ) -> R<pb::GetTransferResponse> {
        Err(unimplemented("GetTransfer"))
    }

    async fn list_transfers(
        &self,
        _r: Request<pb::ListTransfersRequest>,
    ) -> R<pb::ListTransfersResponse> {
        Err(unimplemented("ListTransfers"))
    }

    async fn sync_stock(&self, _r: Request<pb::SyncStockRequest>) -> R<pb::SyncStockResponse> {
        Err(unimplemented("SyncStock"))
    }

    #[tracing::instrument(skip_all)]
    async fn reserve_stock(
        &self,
        request: Request<pb::ReserveStockRequest>,
    ) -> R<pb::ReserveStockResponse> {
        let ctx = ctx(&request)?;
        let key = idempotency_key(&request)?;
        let req = request.into_inner();
        let order_id = id("order_id", &req.order_id).map_err(err)?;
        let ls = lines(
            "lines",
            req.lines.iter().map(|l| (l.sku_id.as_str(), l.quantity)),
            100,
        )
        .map_err(err)?;
        let ttl = match req.ttl_seconds {
            0 => TTL_DEFAULT,
            t if (TTL_MIN..=TTL_MAX).contains(&t) => t,
            _ => return Err(err(invalid("ttl_seconds", "must be 0 or 60..86400"))),
        };
        let a = req.allocation.clone().unwrap_or_default();
        let target = match &a.target {
            Some(pb::allocation_policy::Target::LocationId(l)) => {
                Target::Fixed(id("allocation.location_id", l).map_err(err)?)
            }
            Some(pb::allocation_policy::Target::PickupStoreId(l)) => {
                Target::Pickup(id("allocation.pickup_store_id", l).map_err(err)?)
            }
            None => Target::Delivery,
        };
        let delivery_to = match &a.delivery_location {
            Some(g) => Some(convert::geo("allocation.delivery_location", g).map_err(err)?),
            None => None,
        };
        if target == Target::Delivery && delivery_to.is_none() && !a.allow_warehouse {
            return Err(err(invalid(
                "allocation",
                "a location, a pickup store, a delivery location or allow_warehouse is required",
            )));
        }
        let input = Reserve {
            order_id,
            lines: ls,
            policy: Policy {
                target,
                delivery_to,
                allow_warehouse: a.allow_warehouse,
            },
            ttl_secs: i64::from(ttl),
            revive: req.revive,
        };
        let (app, c) = (self.app.clone(), ctx.clone());
        self.mutate(&ctx, key, "ReserveStock", &req, move |txn| {
            Box::pin(async move {
                let r = app.reserve(txn, &c, input).await?;
                Ok(pb::ReserveStockResponse {
                    reservation: Some(reservation_out(&r)),
                })
            })
        })
        .await
        .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn confirm_reservation(
        &self,
        request: Request<pb::ConfirmReservationRequest>,
    ) -> R<pb::ConfirmReservationResponse> {
        let ctx = ctx(&request)?;
        let key = idempotency_key(&request)?;
        access::service(&ctx).map_err(err)?;
        let req = request.into_inner();
        let order_id = id("order_id", &req.order_id).map_err(err)?;
        let (app, c) = (self.app.clone(), ctx.clone());
        self.mutate(&ctx, key, "ConfirmReservation", &req, move |txn| {
            Box::pin(async move {
                let r = app
                    .confirm(txn, c.tenant, order_id, &c.principal.subject)
                    .await?;
                Ok(pb::ConfirmReservationResponse {
                    reservation: Some(reservation_out(&r)),
                })
            })
        })
        .await
        .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn release_reservation(
        &self,
        request: Request<pb::ReleaseReservationRequest>,
    ) -> R<pb::ReleaseReservationResponse> {
        let ctx = ctx(&request)?;
        let key = idempotency_key(&request)?;
        access::service(&ctx).map_err(err)?;
        let req = request.into_inner();
        let order_id = id("order_id", &req.order_id).map_err(err)?;
        let reason: String = if req.reason.is_empty() {
            "RELEASED".into()
        } else {
            req.reason.chars().take(64).collect()
        };
        let (app, c) = (self.app.clone(), ctx.clone());
        self.mutate(&ctx, key, "ReleaseReservation", &req, move |txn| {
            Box::pin(async move {
                let r = app.release(txn, c.tenant, order_id, &reason).await?;
                Ok(pb::ReleaseReservationResponse {
                    reservation: r.as_ref().map(reservation_out),
                })
            })
        })
        .await
        .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn get_reservation(
        &self,
        request: Request<pb::GetReservationRequest>,
    ) -> R<pb::GetReservationResponse> {
        let ctx = ctx(&request)?;
        let order_id = id("order_id", &request.get_ref().order_id).map_err(err)?;
        let r = self
            .app
            .get_reservation(&ctx, order_id)
            .await
            .map_err(err)?;
        Ok(Response::new(pb::GetReservationResponse {
            reservation: Some(reservation_out(&r)),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn restock_return(
        &self,
        request: Request<pb::RestockReturnRequest>,
    ) -> R<pb::RestockReturnResponse> {
        let ctx = ctx(&request)?;
        let key = idempotency_key(&request)?;
        access::service(&ctx).map_err(err)?;
        let req = request.into_inner();
        let order_id = id("order_id", &req.order_id).map_err(err)?;
        if req.refund_id.is_empty() || req.refund_id.len() > 128 {
            return Err(err(invalid("refund_id", "must be 1..128 characters")));
        }
        if req.lines.is_empty() || req.lines.len() > 100 {
            return Err(err(invalid("lines", "must hold 1..100 lines")));
        }
        let mut ls = Vec::new();
        for (i, l) in req.lines.iter().enumerate() {
            let sku = id(&format!("lines[{i}].sku_id"), &l.sku_id).map_err(err)?;
            if ls.iter().any(|(s, _, _)| *s == sku) {
                return Err(err(invalid(format!("lines[{i}].sku_id"), "duplicate SKU")));
            }
            ls.push((
                sku,
                quantity(&format!("lines[{i}].quantity"), l.quantity).map_err(err)?,
                opt_id(&format!("lines[{i}].location_id"), &l.location_id).map_err(err)?,
            ));
        }
        let refund_id = req.refund_id.clone();
        let (app, c) = (self.app.clone(), ctx.clone());
        self.mutate(&ctx, key, "RestockReturn", &req, move |txn| {
            Box::pin(async move {
                let ms = app
                    .restock(
                        txn,
                        c.tenant,
                        order_id,
                        &refund_id,
                        ls,
                        &c.principal.subject,
                    )
                    .await?;
                Ok(pb::RestockReturnResponse {
                    movements: ms.iter().map(movement_out).collect(),
                })
            })
        })
        .await
        .map(Response::new)
    }
}
