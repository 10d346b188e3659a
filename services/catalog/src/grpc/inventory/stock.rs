//! InventoryService: receiving and adjusting stock.

use siyu_proto::catalog::v1 as pb;
use tonic::{Request, Response};

use crate::app::stock::{Adjust, Change, Receive};
use crate::app::{MAX_QUANTITY, invalid};
use crate::grpc::convert::{self, id, lines, movement_out};
use crate::grpc::{Handlers, R, ctx, err};
use crate::repo;
impl Handlers {
    #[tracing::instrument(skip_all)]
    pub(super) async fn receive_stock_rpc(
        &self,
        request: Request<pb::ReceiveStockRequest>,
    ) -> R<pb::ReceiveStockResponse> {
        let ctx = ctx(&request)?;
        let key = siyu_server::metadata::idempotency_key(&request)?;
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
    pub(super) async fn adjust_stock_rpc(
        &self,
        request: Request<pb::AdjustStockRequest>,
    ) -> R<pb::AdjustStockResponse> {
        let ctx = ctx(&request)?;
        let key = siyu_server::metadata::idempotency_key(&request)?;
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
}
