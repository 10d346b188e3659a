//! InventoryService: the checkout saga (reserve, confirm, release, get) and restocked returns.

use siyu_proto::catalog::v1 as pb;
use tonic::{Request, Response};

use crate::app::allocation::{Policy, Target};
use crate::app::reservations::Reserve;
use crate::app::{access, invalid};
use crate::grpc::convert::{self, id, lines, movement_out, opt_id, quantity, reservation_out};
use crate::grpc::{Handlers, R, ctx, err};

/// Default and bounds of a reservation's TTL, seconds.
const TTL_DEFAULT: i32 = 900;
const TTL_MIN: i32 = 60;
const TTL_MAX: i32 = 86_400;
impl Handlers {
    #[tracing::instrument(skip_all)]
    pub(super) async fn reserve_stock_rpc(
        &self,
        request: Request<pb::ReserveStockRequest>,
    ) -> R<pb::ReserveStockResponse> {
        let ctx = ctx(&request)?;
        let key = siyu_server::metadata::idempotency_key(&request)?;
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
    pub(super) async fn confirm_reservation_rpc(
        &self,
        request: Request<pb::ConfirmReservationRequest>,
    ) -> R<pb::ConfirmReservationResponse> {
        let ctx = ctx(&request)?;
        let key = siyu_server::metadata::idempotency_key(&request)?;
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
    pub(super) async fn release_reservation_rpc(
        &self,
        request: Request<pb::ReleaseReservationRequest>,
    ) -> R<pb::ReleaseReservationResponse> {
        let ctx = ctx(&request)?;
        let key = siyu_server::metadata::idempotency_key(&request)?;
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
    pub(super) async fn get_reservation_rpc(
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
    pub(super) async fn restock_return_rpc(
        &self,
        request: Request<pb::RestockReturnRequest>,
    ) -> R<pb::RestockReturnResponse> {
        let ctx = ctx(&request)?;
        let key = siyu_server::metadata::idempotency_key(&request)?;
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
