//! Partner stock sync (POS/ERP): absolute on-hand counts applied line by line.
//!
//! Each line is independent: an unknown SKU or location, a count below the reserved quantity
//! (REJECTED) or a count older than the pair's last applied sync (STALE) leaves that pair as it
//! is and the other lines still apply. The batch is claimed by `sync_id` first and its result
//! stored in the same transaction, so a repeat — sequential or concurrent — returns the first
//! result and writes nothing.

use std::collections::HashMap;

use sea_orm::ConnectionTrait;
use siyu_core::Ctx;
use uuid::Uuid;

use super::App;
use super::domain::{Location, LocationStatus, Movement, MovementKind, StockLevel};
use super::stock::levels::{LevelReport, reports};
use super::stock::low_stock;
use crate::repo::skus::SkuKey;
use crate::{AppError, repo};

/// How a sync line names its SKU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkuRef {
    /// By id.
    Id(Uuid),
    /// By barcode.
    Barcode(String),
}

/// One line of a SyncStock request, parsed.
#[derive(Debug, Clone)]
pub struct SyncLine {
    /// The SKU.
    pub sku: SkuRef,
    /// The location.
    pub location_id: Uuid,
    /// Counted on-hand, ≥ 0.
    pub on_hand: i32,
    /// When it was counted, ms (`None` = now).
    pub counted_at_ms: Option<i64>,
}

/// Outcome of a line (numbers as `SyncLineStatus` in the proto).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SyncStatus {
    /// A SYNC movement was written.
    Applied = 1,
    /// Already equal; nothing written.
    Unchanged = 2,
    /// Older than the pair's last sync; skipped.
    Stale = 3,
    /// Refused; see the reason.
    Rejected = 4,
}

/// Result of one line, in request order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SyncLineResult {
    /// Index of the line in the request.
    pub index: usize,
    /// Outcome.
    pub status: SyncStatus,
    /// For REJECTED: SKU_NOT_FOUND, LOCATION_NOT_FOUND, LOCATION_NOT_ACTIVE,
    /// STOCK_BELOW_RESERVED.
    pub reason: String,
    /// The level after (unknown SKU or location: none).
    pub level: Option<StockLevel>,
}

/// A line's result as answered: its level with the location's default threshold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncedLine {
    /// The result as stored for repeats of the batch.
    pub result: SyncLineResult,
    /// The level after, reported.
    pub level: Option<LevelReport>,
}

impl SyncLineResult {
    fn rejected(index: usize, reason: &str, level: Option<StockLevel>) -> Self {
        Self {
            index,
            status: SyncStatus::Rejected,
            reason: reason.into(),
            level,
        }
    }
}

impl App {
    /// SyncStock: the first result of `sync_id` (applying the lines if this is the first call),
    /// with each line's level as it is now reported.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, lines = lines.len()))]
    pub async fn sync_stock(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        sync_id: &str,
        lines: Vec<SyncLine>,
    ) -> Result<Vec<SyncedLine>, AppError> {
        let results = self.apply_sync(conn, ctx, sync_id, lines).await?;
        let levels: Vec<StockLevel> = results.iter().filter_map(|r| r.level.clone()).collect();
        let mut levels = reports(conn, ctx.tenant, levels).await?.into_iter();
        Ok(results
            .into_iter()
            .map(|result| SyncedLine {
                level: result.level.as_ref().and_then(|_| levels.next()),
                result,
            })
            .collect())
    }

    /// The first result of `sync_id`, applying the lines if this call claimed it.
    async fn apply_sync(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        sync_id: &str,
        lines: Vec<SyncLine>,
    ) -> Result<Vec<SyncLineResult>, AppError> {
        let now = self.clock.now();
        let now_ms = now.timestamp_millis();
        if !repo::sync::claim(conn, ctx.tenant, sync_id, now_ms).await? {
            let stored = repo::sync::result(conn, ctx.tenant, sync_id)
                .await?
                .ok_or_else(|| AppError::Internal("claimed sync has no row".into()))?;
            return serde_json::from_str(&stored)
                .map_err(|e| AppError::Internal(format!("stored sync result: {e}")));
        }
        let skus = resolve_skus(conn, ctx, &lines).await?;
        let mut loc_ids: Vec<Uuid> = lines.iter().map(|l| l.location_id).collect();
        loc_ids.sort();
        loc_ids.dedup();
        let locations: HashMap<Uuid, Location> =
            repo::locations::get_many(conn, ctx.tenant, &loc_ids)
                .await?
                .into_iter()
                .map(|l| (l.id, l))
                .collect();
        // Apply in (sku, location) order, like every multi-row stock change, so concurrent
        // transactions lock rows in one global order; report in request order.
        let mut order: Vec<usize> = (0..lines.len()).collect();
        order.sort_by_key(|&i| (skus[i], lines[i].location_id));
        let mut results: Vec<Option<SyncLineResult>> = vec![None; lines.len()];
        let mut movements = Vec::new();
        for i in order {
            let line = &lines[i];
            let result = match (skus[i], locations.get(&line.location_id)) {
                (None, _) => SyncLineResult::rejected(i, "SKU_NOT_FOUND", None),
                (_, None) => SyncLineResult::rejected(i, "LOCATION_NOT_FOUND", None),
                (Some(_), Some(l)) if l.status == LocationStatus::Closed => {
                    SyncLineResult::rejected(i, "LOCATION_NOT_ACTIVE", None)
                }
                (Some(sku), Some(location)) => {
                    let counted_ms = line.counted_at_ms.unwrap_or(now_ms);
                    let level =
                        repo::stock::lock(conn, ctx.tenant, sku, location.id, now_ms).await?;
                    let last = repo::sync::last_sync_ms(conn, ctx.tenant, sku, location.id).await?;
                    if last.is_some_and(|last| counted_ms < last) {
                        SyncLineResult {
                            index: i,
                            status: SyncStatus::Stale,
                            reason: String::new(),
                            level: Some(level),
                        }
                    } else if line.on_hand < level.reserved {
                        SyncLineResult::rejected(i, "STOCK_BELOW_RESERVED", Some(level))
                    } else {
                        repo::sync::mark_synced(conn, ctx.tenant, sku, location.id, counted_ms)
                            .await?;
                        if line.on_hand == level.on_hand {
                            SyncLineResult {
                                index: i,
                                status: SyncStatus::Unchanged,
                                reason: String::new(),
                                level: Some(level),
                            }
                        } else {
                            let after = repo::stock::set_on_hand(
                                conn,
                                ctx.tenant,
                                sku,
                                location.id,
                                line.on_hand,
                                now_ms,
                            )
                            .await?;
                            let mut m = Movement::new(
                                MovementKind::Sync,
                                &after,
                                line.on_hand - level.on_hand,
                                &ctx.principal.subject,
                                now_ms,
                            );
                            m.sync_id = sync_id.to_owned();
                            movements.push(m);
                            low_stock::after_change(conn, ctx.tenant, location, &after, now)
                                .await?;
                            SyncLineResult {
                                index: i,
                                status: SyncStatus::Applied,
                                reason: String::new(),
                                level: Some(after),
                            }
                        }
                    }
                }
            };
            results[i] = Some(result);
        }
        repo::stock::movements::insert_many(conn, ctx.tenant, &movements).await?;
        let results: Vec<SyncLineResult> = results.into_iter().flatten().collect();
        let stored = serde_json::to_string(&results)
            .map_err(|e| AppError::Internal(format!("sync result: {e}")))?;
        repo::sync::store(conn, ctx.tenant, sync_id, &stored).await?;
        Ok(results)
    }
}

/// The SKU id of every line (`None` when the tenant has no such SKU), in two queries.
async fn resolve_skus(
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
    lines: &[SyncLine],
) -> Result<Vec<Option<Uuid>>, AppError> {
    let mut ids = Vec::new();
    let mut barcodes = Vec::new();
    for l in lines {
        match &l.sku {
            SkuRef::Id(id) => ids.push(*id),
            SkuRef::Barcode(b) => barcodes.push(b.clone()),
        }
    }
    ids.sort();
    ids.dedup();
    barcodes.sort();
    barcodes.dedup();
    let known: Vec<Uuid> = repo::skus::get_many(conn, ctx.tenant, &ids)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    let by_barcode: HashMap<String, Uuid> = repo::skus::by_keys(
        conn,
        ctx.tenant,
        SkuKey::Barcode,
        barcodes.into_iter().map(Into::into).collect(),
    )
    .await?
    .into_iter()
    .map(|s| (s.barcode, s.id))
    .collect();
    Ok(lines
        .iter()
        .map(|l| match &l.sku {
            SkuRef::Id(id) => known.contains(id).then_some(*id),
            SkuRef::Barcode(b) => by_barcode.get(b).copied(),
        })
        .collect())
}
