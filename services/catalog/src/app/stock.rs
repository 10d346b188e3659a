//! Receiving, adjusting and reading stock. Every change of on-hand writes a movement in the
//! same transaction; lines are applied in (sku, location) order so concurrent multi-line
//! transactions take row locks in one global order and cannot deadlock.

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, TenantId};
use uuid::Uuid;

use super::domain::{Movement, MovementKind, StockLevel};
use super::locations::{load, load_active};
use super::{App, AppError, access};
use crate::repo;
use crate::repo::movements::Filter;

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
) -> Result<Vec<super::domain::SkuInfo>, AppError> {
    let found = repo::skus::get_many(conn, tenant, ids).await?;
    if let Some(missing) = ids.iter().find(|id| !found.iter().any(|s| s.id == **id)) {
        return Err(AppError::SkuNotFound {
            sku_id: missing.to_string(),
        });
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
        access::on_location(ctx, access::STOCK_WRITE, Some("inventory.write"), &location)?;
        if location.status != super::domain::LocationStatus::Active {
            return Err(AppError::Precondition("LOCATION_NOT_ACTIVE"));
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
            return repo::movements::list(conn, ctx.tenant, &f, None, 1_000).await;
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
            super::lowstock::after_change(conn, ctx.tenant, &location, &level, now).await?;
        }
        repo::movements::insert_many(conn, ctx.tenant, &out).await?;
        Ok(out)
    }

    /// AdjustStock: a signed delta or a counted on-hand; never below reserved.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, location_id = %a.location_id, sku_id = %a.sku_id))]
    pub async fn adjust(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        a: Adjust,
    ) -> Result<(Option<Movement>, StockLevel), AppError> {
        let location = load_active(conn, ctx.tenant, a.location_id).await;
        let location = match location {
            // Permission first for a location that exists but is not active.
            Err(AppError::Precondition(p)) => {
                let l = load(conn, ctx.tenant, a.location_id).await?;
                access::on_location(ctx, access::STOCK_WRITE, None, &l)?;
                return Err(AppError::Precondition(p));
            }
            other => other?,
        };
        access::on_location(ctx, access::STOCK_WRITE, None, &location)?;
        require_skus(conn, ctx.tenant, &[a.sku_id]).await?;
        let now = self.clock.now();
        let now_ms = now.timestamp_millis();
        let level = repo::stock::lock(conn, ctx.tenant, a.sku_id, a.location_id, now_ms).await?;
        if a.expected_version != 0 && a.expected_version != level.version {
            return Err(AppError::Precondition("STOCK_VERSION_MISMATCH"));
        }
        let target = match a.change {
            Change::Delta(d) => level
                .on_hand
                .checked_add(d)
                .ok_or_else(|| super::invalid("delta", "overflows on_hand"))?,
            Change::Counted(c) => c,
        };
        if target < 0 {
            return Err(AppError::InsufficientStock {
                sku_id: a.sku_id.to_string(),
                requested: target.saturating_sub(level.on_hand).saturating_neg(),
                available: level.on_hand,
            });
        }
        if target < level.reserved {
            return Err(AppError::StockBelowReserved {
                reserved: level.reserved,
            });
        }
        if target == level.on_hand {
            return Ok((None, level));
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
        repo::movements::insert_many(conn, ctx.tenant, std::slice::from_ref(&m)).await?;
        super::lowstock::after_change(conn, ctx.tenant, &location, &after, now).await?;
        Ok((Some(m), after))
    }

    /// GetStockLevels: SKUs × locations, missing pairs as zeros; sorted by SKU then location.
    pub async fn stock_levels(
        &self,
        ctx: &Ctx,
        skus: &[Uuid],
        locs: &[Uuid],
    ) -> Result<Vec<StockLevel>, AppError> {
        access::reader(ctx, "inventory.read")?;
        let mut found = repo::stock::levels(&self.db, ctx.tenant, skus, locs).await?;
        if !locs.is_empty() {
            // Unknown ids of this tenant (or of another) must not leak as "zero stock" pairs.
            require_skus(&self.db, ctx.tenant, skus).await?;
            let known = repo::locations::get_many(&self.db, ctx.tenant, locs).await?;
            if known.len() != locs.len() {
                return Err(AppError::NotFound("LOCATION_NOT_FOUND"));
            }
            for s in skus {
                for l in locs {
                    if !found.iter().any(|x| x.sku_id == *s && x.location_id == *l) {
                        found.push(StockLevel::zero(*s, *l));
                    }
                }
            }
        } else {
            require_skus(&self.db, ctx.tenant, skus).await?;
        }
        found.sort_by_key(|l| (l.sku_id, l.location_id));
        Ok(found)
    }

    /// ListStockLevels of one location (staff need a role on it) or one SKU.
    pub async fn list_stock_levels(
        &self,
        ctx: &Ctx,
        scope: repo::stock::Scope,
        low_only: bool,
        nonzero_only: bool,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<StockLevel>, AppError> {
        match scope {
            repo::stock::Scope::Location(id) => {
                let l = load(&self.db, ctx.tenant, id).await?;
                access::on_location(ctx, access::STOCK_READ, Some("inventory.read"), &l)?;
            }
            repo::stock::Scope::Sku(id) => {
                access::reader(ctx, "inventory.read")?;
                require_skus(&self.db, ctx.tenant, &[id]).await?;
            }
        }
        repo::stock::list(
            &self.db,
            ctx.tenant,
            scope,
            low_only,
            nonzero_only,
            after,
            limit,
        )
        .await
    }

    /// ListStockMovements, newest first.
    pub async fn list_movements(
        &self,
        ctx: &Ctx,
        f: Filter,
        before: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<Movement>, AppError> {
        match f.location_id {
            Some(id) => {
                let l = load(&self.db, ctx.tenant, id).await?;
                access::on_location(ctx, access::STOCK_READ, Some("inventory.read"), &l)?;
            }
            None => access::reader(ctx, "inventory.read")?,
        }
        if let Some(s) = f.sku_id {
            require_skus(&self.db, ctx.tenant, &[s]).await?;
        }
        repo::movements::list(&self.db, ctx.tenant, &f, before, limit).await
    }

    /// SetLowStockThresholds: per pair, or per SKU for every location without its own.
    pub async fn set_thresholds(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        items: Vec<(Uuid, Option<Uuid>, i32)>,
    ) -> Result<i32, AppError> {
        let skus: Vec<Uuid> = items.iter().map(|i| i.0).collect();
        require_skus(conn, ctx.tenant, &skus).await?;
        let now_ms = self.now_ms();
        let mut n: u64 = 0;
        for (sku, loc, threshold) in items {
            match loc {
                Some(id) => {
                    let l = load(conn, ctx.tenant, id).await?;
                    access::on_location(ctx, access::STOCK_WRITE, None, &l)?;
                }
                // Every location of the SKU: an HQ decision.
                None => {
                    if ctx.principal.kind != siyu_core::PrincipalKind::Staff
                        || !ctx
                            .principal
                            .grants
                            .iter()
                            .any(|g| access::ADMIN.contains(&g.role.as_str()))
                    {
                        return Err(AppError::PermissionDenied(
                            "tenant-wide thresholds need an HQ role".into(),
                        ));
                    }
                }
            }
            n += repo::stock::set_threshold(conn, ctx.tenant, sku, loc, threshold, now_ms).await?;
        }
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }
}
