//! Receiving and adjusting stock (reading it is in `levels`). Every change of on-hand writes a
//! movement in the same transaction; lines are applied in (sku, location) order so concurrent multi-line
//! transactions take row locks in one global order and cannot deadlock.

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, TenantId};
use uuid::Uuid;

use super::domain::{LocationStatus, Movement, MovementKind, SkuInfo};
use super::locations::{load, load_active};
use super::{App, org_scope};
use crate::repo::stock::movements::Filter;
use crate::{AppError, repo};

pub mod levels;
pub mod low_stock;

pub use levels::LevelReport;

/// A ReceiveStock request, parsed.
#[derive(Debug, Clone)]
pub struct Receive {
    /// Where.
    pub location_id: Uuid,
    /// (sku, quantity), distinct SKUs.
    pub lines: Vec<(Uuid, i32)>,
    /// PO / delivery note; one receipt per (location, reference).
    pub reference: String,
    /// Note.
    pub note: String,
}

/// How an adjustment changes on-hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Signed, non-zero.
    Delta(i32),
    /// The counted on-hand.
    Counted(i32),
}

/// An AdjustStock request, parsed.
#[derive(Debug, Clone)]
pub struct Adjust {
    /// Where.
    pub location_id: Uuid,
    /// What.
    pub sku_id: Uuid,
    /// How.
    pub change: Change,
    /// proto AdjustReason number (validated at the edge).
    pub reason: i16,
    /// Note.
    pub note: String,
    /// Optimistic version (0 = none).
    pub expected_version: i64,
}

/// Fails with SKU_NOT_FOUND for the first of `ids` the tenant does not have.
pub async fn require_skus(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    ids: &[Uuid],
) -> Result<Vec<SkuInfo>, AppError> {
    let found = repo::skus::get_many(conn, tenant, ids).await?;
    if let Some(missing) = ids.iter().find(|id| !found.iter().any(|s| s.id == **id)) {
        return Err(AppError::SkuNotFound { sku_id: *missing });
    }
    Ok(found)
}

impl App {
    /// ReceiveStock: on_hand += quantity per line, RECEIVE movements.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, location_id = %r.location_id))]
    pub async fn receive(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        mut r: Receive,
    ) -> Result<Vec<Movement>, AppError> {
        let location = load(conn, ctx.tenant, r.location_id).await?;
        org_scope::require_on(ctx, &location)?;
        if location.status != LocationStatus::Active {
            return Err(AppError::LocationNotActive);
        }
        let skus: Vec<Uuid> = r.lines.iter().map(|l| l.0).collect();
        require_skus(conn, ctx.tenant, &skus).await?;
        let now = self.clock.now();
        let now_ms = now.timestamp_millis();
        if !r.reference.is_empty()
            && !repo::reservations::claim_receipt(
                conn,
                ctx.tenant,
                r.location_id,
                &r.reference,
                now_ms,
            )
            .await?
        {
            // Received before under this reference: answer with that receipt.
            let f = Filter {
                location_id: Some(r.location_id),
                reference: Some(r.reference.clone()),
                kinds: vec![MovementKind::Receive],
                ..Filter::default()
            };
            return repo::stock::movements::list(conn, ctx.tenant, &f, None, 1_000).await;
        }
        r.lines.sort();
        let mut out = Vec::with_capacity(r.lines.len());
        for (sku, qty) in &r.lines {
            let level =
                repo::stock::add_on_hand(conn, ctx.tenant, *sku, r.location_id, *qty, now_ms)
                    .await?;
            let mut m = Movement::new(
                MovementKind::Receive,
                &level,
                *qty,
                &ctx.principal.subject,
                now_ms,
            );
            m.reference.clone_from(&r.reference);
            m.note.clone_from(&r.note);
            out.push(m);
            low_stock::after_change(conn, ctx.tenant, &location, &level, now).await?;
        }
        repo::stock::movements::insert_many(conn, ctx.tenant, &out).await?;
        Ok(out)
    }

    /// AdjustStock: a signed delta or a counted on-hand; never below reserved. Answers the
    /// movement (none when nothing changed) and the level after.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, location_id = %a.location_id, sku_id = %a.sku_id))]
    pub async fn adjust(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        a: Adjust,
    ) -> Result<(Option<Movement>, LevelReport), AppError> {
        let location = load_active(conn, ctx.tenant, a.location_id).await;
        let location = match location {
            // Permission first for a location that exists but is not active.
            Err(AppError::LocationNotActive) => {
                let l = load(conn, ctx.tenant, a.location_id).await?;
                org_scope::require_on(ctx, &l)?;
                return Err(AppError::LocationNotActive);
            }
            other => other?,
        };
        org_scope::require_on(ctx, &location)?;
        require_skus(conn, ctx.tenant, &[a.sku_id]).await?;
        let now = self.clock.now();
        let now_ms = now.timestamp_millis();
        let level = repo::stock::lock(conn, ctx.tenant, a.sku_id, a.location_id, now_ms).await?;
        if a.expected_version != 0 && a.expected_version != level.version {
            return Err(AppError::StockVersionMismatch);
        }
        let target = match a.change {
            Change::Delta(d) => level
                .on_hand
                .checked_add(d)
                .ok_or_else(|| AppError::invalid("delta", "overflows on_hand"))?,
            Change::Counted(c) => c,
        };
        if target < 0 {
            return Err(AppError::InsufficientStock {
                sku_id: a.sku_id,
                requested: target.saturating_sub(level.on_hand).saturating_neg(),
                available: level.on_hand,
            });
        }
        if target < level.reserved {
            return Err(AppError::StockBelowReserved {
                reserved: level.reserved,
            });
        }
        let report = |level| LevelReport::at(level, &location);
        if target == level.on_hand {
            return Ok((None, report(level)));
        }
        let after =
            repo::stock::set_on_hand(conn, ctx.tenant, a.sku_id, a.location_id, target, now_ms)
                .await?;
        let mut m = Movement::new(
            MovementKind::Adjust,
            &after,
            target - level.on_hand,
            &ctx.principal.subject,
            now_ms,
        );
        m.reason = a.reason;
        m.note = a.note;
        repo::stock::movements::insert_many(conn, ctx.tenant, std::slice::from_ref(&m)).await?;
        low_stock::after_change(conn, ctx.tenant, &location, &after, now).await?;
        Ok((Some(m), report(after)))
    }
}
