//! InventoryService.SyncStock: a partner's absolute counts, parsed at the edge (shape only;
//! unknown SKUs and locations are per-line REJECTED results, not request errors).

use siyu_proto::catalog::v1 as pb;
use siyu_proto::time::millis;
use tonic::Request;

use super::convert::id;
use super::{Handlers, R, ctx};
use crate::AppError;
use crate::app::MAX_QUANTITY;
use crate::app::sync::{SkuRef, SyncLine, SyncStatus, SyncedLine};

/// Most lines one SyncStock may carry.
const MAX_LINES: usize = 1_000;

/// The request's lines; the first malformed one fails the whole request.
fn lines_in(req: &pb::SyncStockRequest) -> Result<Vec<SyncLine>, AppError> {
    if req.lines.is_empty() || req.lines.len() > MAX_LINES {
        return Err(AppError::invalid(
            "lines",
            format!("must hold 1..{MAX_LINES} lines"),
        ));
    }
    let mut out = Vec::with_capacity(req.lines.len());
    for (i, l) in req.lines.iter().enumerate() {
        let sku = match (l.sku_id.is_empty(), l.barcode.trim()) {
            (false, _) => SkuRef::Id(id(&format!("lines[{i}].sku_id"), &l.sku_id)?),
            (true, "") => {
                return Err(AppError::invalid(
                    format!("lines[{i}].sku_id"),
                    "sku_id or barcode is required",
                ));
            }
            (true, b) if b.chars().count() > 64 => {
                return Err(AppError::invalid(
                    format!("lines[{i}].barcode"),
                    "at most 64 characters",
                ));
            }
            (true, b) => SkuRef::Barcode(b.to_owned()),
        };
        if !(0..=MAX_QUANTITY).contains(&l.on_hand) {
            return Err(AppError::invalid(
                format!("lines[{i}].on_hand"),
                "must be 0..1000000",
            ));
        }
        out.push(SyncLine {
            sku,
            location_id: id(&format!("lines[{i}].location_id"), &l.location_id)?,
            on_hand: l.on_hand,
            counted_at_ms: l.counted_at.as_ref().map(millis),
        });
    }
    Ok(out)
}

/// The answer: per-line results in request order and the counts.
fn response(lines: &[SyncedLine]) -> pb::SyncStockResponse {
    let count = |s: SyncStatus| {
        let n = lines.iter().filter(|l| l.result.status == s).count();
        i32::try_from(n).unwrap_or(i32::MAX)
    };
    pb::SyncStockResponse {
        results: lines
            .iter()
            .map(|l| pb::SyncStockLineResult {
                index: i32::try_from(l.result.index).unwrap_or(i32::MAX),
                status: l.result.status as i32,
                reason: l.result.reason.clone(),
                level: l.level.as_ref().map(Into::into),
            })
            .collect(),
        applied_count: count(SyncStatus::Applied),
        rejected_count: count(SyncStatus::Rejected),
    }
}

#[tracing::instrument(skip_all)]
pub(super) async fn sync_stock(
    h: &Handlers,
    request: Request<pb::SyncStockRequest>,
) -> R<pb::SyncStockResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    if req.sync_id.is_empty() || req.sync_id.chars().count() > 128 {
        return Err(AppError::invalid("sync_id", "must be 1..128 characters").into());
    }
    let (sync_id, lines) = (req.sync_id.clone(), lines_in(req)?);
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let lines = app.sync_stock(txn, &ctx, &sync_id, lines).await?;
                Ok(response(&lines))
            })
        })
        .await
}
