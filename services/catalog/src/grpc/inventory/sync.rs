//! InventoryService.SyncStock: a partner's absolute counts, parsed at the edge (shape only;
//! unknown SKUs and locations are per-line REJECTED results, not request errors).

use siyu_proto::catalog::v1 as pb;
use tonic::{Request, Response};

use super::levels::levels_out;
use crate::app::sync::{SkuRef, SyncLine, SyncLineResult, SyncStatus};
use crate::app::{AppError, MAX_QUANTITY, invalid};
use crate::grpc::convert::{self, id};
use crate::grpc::{Handlers, R, err};

/// Most lines one SyncStock may carry.
const MAX_LINES: usize = 1_000;

/// Parses the request's lines; the first malformed one fails the whole request.
fn lines_in(req: &pb::SyncStockRequest) -> Result<Vec<SyncLine>, AppError> {
    if req.lines.is_empty() || req.lines.len() > MAX_LINES {
        return Err(invalid("lines", format!("must hold 1..{MAX_LINES} lines")));
    }
    req.lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let sku = match (l.sku_id.is_empty(), l.barcode.trim()) {
                (false, _) => SkuRef::Id(id(&format!("lines[{i}].sku_id"), &l.sku_id)?),
                (true, "") => {
                    return Err(invalid(
                        format!("lines[{i}].sku_id"),
                        "sku_id or barcode is required",
                    ));
                }
                (true, b) if b.chars().count() > 64 => {
                    return Err(invalid(
                        format!("lines[{i}].barcode"),
                        "at most 64 characters",
                    ));
                }
                (true, b) => SkuRef::Barcode(b.to_owned()),
            };
            if !(0..=MAX_QUANTITY).contains(&l.on_hand) {
                return Err(invalid(format!("lines[{i}].on_hand"), "must be 0..1000000"));
            }
            Ok(SyncLine {
                sku,
                location_id: id(&format!("lines[{i}].location_id"), &l.location_id)?,
                on_hand: l.on_hand,
                counted_at_ms: l.counted_at.as_ref().map(convert::ms),
            })
        })
        .collect()
}

impl Handlers {
    #[tracing::instrument(skip_all)]
    pub(super) async fn sync_stock_rpc(
        &self,
        request: Request<pb::SyncStockRequest>,
    ) -> R<pb::SyncStockResponse> {
        let (req, ctx, key, app, c) = self.begin(request)?;
        if req.sync_id.is_empty() || req.sync_id.chars().count() > 128 {
            return Err(err(invalid("sync_id", "must be 1..128 characters")));
        }
        let lines = lines_in(&req).map_err(err)?;
        let sync_id = req.sync_id.clone();
        self.mutate(&ctx, key, "SyncStock", &req, move |txn| {
            Box::pin(async move {
                let results = app.sync_stock(txn, &c, &sync_id, lines).await?;
                response(txn, &c, &results).await
            })
        })
        .await
        .map(Response::new)
    }
}

async fn response(
    conn: &impl sea_orm::ConnectionTrait,
    ctx: &siyu_core::Ctx,
    results: &[SyncLineResult],
) -> Result<pb::SyncStockResponse, AppError> {
    let levels: Vec<_> = results.iter().filter_map(|r| r.level.clone()).collect();
    let mut levels = levels_out(conn, ctx.tenant, &levels).await?.into_iter();
    let count = |s: SyncStatus| {
        let n = results.iter().filter(|r| r.status == s).count();
        i32::try_from(n).unwrap_or(i32::MAX)
    };
    Ok(pb::SyncStockResponse {
        results: results
            .iter()
            .map(|r| pb::SyncStockLineResult {
                index: i32::try_from(r.index).unwrap_or(i32::MAX),
                status: r.status as i32,
                reason: r.reason.clone(),
                level: r.level.as_ref().and_then(|_| levels.next()),
            })
            .collect(),
        applied_count: count(SyncStatus::Applied),
        rejected_count: count(SyncStatus::Rejected),
    })
}
