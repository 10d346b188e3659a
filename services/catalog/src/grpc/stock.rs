//! InventoryService: receiving and adjusting stock (reading it and thresholds: `levels`), and
//! levels and movements on the wire.

use siyu_proto::catalog::v1 as pb;
use siyu_proto::catalog::v1::adjust_stock_request::Change as WireChange;
use siyu_proto::time::timestamp_ms;
use tonic::Request;

use super::convert::{id, lines};
use super::{Handlers, R, ctx};
use crate::AppError;
use crate::app::MAX_QUANTITY;
use crate::app::domain::Movement;
use crate::app::stock::{Adjust, Change, LevelReport, Receive};

pub(super) mod levels;

impl TryFrom<&pb::ReceiveStockRequest> for Receive {
    type Error = AppError;

    fn try_from(req: &pb::ReceiveStockRequest) -> Result<Self, AppError> {
        Ok(Self {
            location_id: id("location_id", &req.location_id)?,
            lines: lines(
                "lines",
                req.lines.iter().map(|l| (l.sku_id.as_str(), l.quantity)),
                500,
            )?,
            reference: req.reference.chars().take(128).collect(),
            note: req.note.chars().take(500).collect(),
        })
    }
}

impl TryFrom<&pb::AdjustStockRequest> for Adjust {
    type Error = AppError;

    fn try_from(req: &pb::AdjustStockRequest) -> Result<Self, AppError> {
        let change = match req.change {
            Some(WireChange::Delta(d)) if d != 0 && d.abs() <= MAX_QUANTITY => Change::Delta(d),
            Some(WireChange::Delta(_)) => {
                return Err(AppError::invalid(
                    "delta",
                    "must be non-zero and within ±1000000",
                ));
            }
            Some(WireChange::CountedOnHand(c)) if (0..=MAX_QUANTITY).contains(&c) => {
                Change::Counted(c)
            }
            Some(WireChange::CountedOnHand(_)) => {
                return Err(AppError::invalid("counted_on_hand", "must be 0..1000000"));
            }
            None => {
                return Err(AppError::invalid(
                    "change",
                    "delta or counted_on_hand is required",
                ));
            }
        };
        let reason = match pb::AdjustReason::try_from(req.reason) {
            Ok(pb::AdjustReason::Unspecified) | Err(_) => {
                return Err(AppError::invalid("reason", "required"));
            }
            Ok(r) => r,
        };
        if reason == pb::AdjustReason::Other && req.note.trim().is_empty() {
            return Err(AppError::invalid("note", "required when reason is OTHER"));
        }
        Ok(Self {
            location_id: id("location_id", &req.location_id)?,
            sku_id: id("sku_id", &req.sku_id)?,
            change,
            reason: i16::try_from(reason as i32).unwrap_or(0),
            note: req.note.chars().take(500).collect(),
            expected_version: req.expected_version,
        })
    }
}

impl From<&LevelReport> for pb::StockLevel {
    fn from(r: &LevelReport) -> Self {
        let l = &r.level;
        Self {
            sku_id: l.sku_id.to_string(),
            location_id: l.location_id.to_string(),
            on_hand: l.on_hand,
            reserved: l.reserved,
            available: l.available(),
            in_transit: l.in_transit,
            low_stock_threshold: l.low_threshold,
            low: r.low(),
            version: l.version,
            updated_at: (l.updated_at_ms > 0).then(|| timestamp_ms(l.updated_at_ms)),
        }
    }
}

impl From<&Movement> for pb::StockMovement {
    fn from(m: &Movement) -> Self {
        Self {
            movement_id: m.id.to_string(),
            sku_id: m.sku_id.to_string(),
            location_id: m.location_id.to_string(),
            r#type: m.kind as i32,
            quantity: m.quantity,
            on_hand_after: m.on_hand_after,
            reason: i32::from(m.reason),
            note: m.note.clone(),
            order_id: m.order_id.clone(),
            refund_id: m.refund_id.clone(),
            transfer_id: m.transfer_id.clone(),
            sync_id: m.sync_id.clone(),
            reference: m.reference.clone(),
            operator_id: m.operator_id.clone(),
            created_at: Some(timestamp_ms(m.created_at_ms)),
        }
    }
}

#[tracing::instrument(skip_all, fields(location_id = %request.get_ref().location_id))]
pub(super) async fn receive(
    h: &Handlers,
    request: Request<pb::ReceiveStockRequest>,
) -> R<pb::ReceiveStockResponse> {
    let ctx = ctx(&request)?;
    let input = Receive::try_from(request.get_ref())?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let movements = app.receive(txn, &ctx, input).await?;
                Ok(pb::ReceiveStockResponse {
                    movements: movements.iter().map(Into::into).collect(),
                })
            })
        })
        .await
}

#[tracing::instrument(
    skip_all,
    fields(location_id = %request.get_ref().location_id, sku_id = %request.get_ref().sku_id)
)]
pub(super) async fn adjust(
    h: &Handlers,
    request: Request<pb::AdjustStockRequest>,
) -> R<pb::AdjustStockResponse> {
    let ctx = ctx(&request)?;
    let input = Adjust::try_from(request.get_ref())?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let (movement, level) = app.adjust(txn, &ctx, input).await?;
                Ok(pb::AdjustStockResponse {
                    movement: movement.as_ref().map(Into::into),
                    level: Some((&level).into()),
                })
            })
        })
        .await
}
