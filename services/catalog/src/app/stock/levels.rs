//! Reading stock (levels and the journal) and setting low-stock thresholds.

use std::collections::HashMap;

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, TenantId};
use uuid::Uuid;

use super::require_skus;
use crate::app::domain::{Location, Movement, StockLevel};
use crate::app::locations::load;
use crate::app::{App, org_scope};
pub use crate::repo::stock::Scope;
pub use crate::repo::stock::movements::Filter as MovementFilter;
use crate::{AppError, repo};

/// A level as reported: with its location's default threshold, which decides `low` when the
/// pair has none of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelReport {
    /// The level.
    pub level: StockLevel,
    /// The location's default low-stock threshold.
    pub location_threshold: i32,
}

impl LevelReport {
    /// `level` at `location`.
    pub fn at(level: StockLevel, location: &Location) -> Self {
        Self {
            level,
            location_threshold: location.default_low_threshold,
        }
    }

    /// The threshold in force (0 = none).
    pub fn threshold(&self) -> i32 {
        self.level.effective_threshold(self.location_threshold)
    }

    /// True when available is at or below the threshold in force.
    pub fn low(&self) -> bool {
        let t = self.threshold();
        t > 0 && self.level.available() <= t
    }
}

/// `levels` with their locations' default thresholds: one locations query.
pub async fn reports(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    levels: Vec<StockLevel>,
) -> Result<Vec<LevelReport>, AppError> {
    let mut ids: Vec<Uuid> = levels.iter().map(|l| l.location_id).collect();
    ids.sort();
    ids.dedup();
    let defaults: HashMap<Uuid, i32> = repo::locations::get_many(conn, tenant, &ids)
        .await?
        .into_iter()
        .map(|l| (l.id, l.default_low_threshold))
        .collect();
    Ok(levels
        .into_iter()
        .map(|level| LevelReport {
            location_threshold: defaults.get(&level.location_id).copied().unwrap_or(0),
            level,
        })
        .collect())
}

impl App {
    /// GetStockLevels: SKUs × locations, missing pairs as zeros; sorted by SKU then location.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn stock_levels(
        &self,
        ctx: &Ctx,
        skus: &[Uuid],
        locs: &[Uuid],
    ) -> Result<Vec<LevelReport>, AppError> {
        let mut found = repo::stock::levels(&self.db, ctx.tenant, skus, locs).await?;
        if !locs.is_empty() {
            // Unknown ids of this tenant (or of another) must not leak as "zero stock" pairs.
            require_skus(&self.db, ctx.tenant, skus).await?;
            let known = repo::locations::get_many(&self.db, ctx.tenant, locs).await?;
            if known.len() != locs.len() {
                return Err(AppError::LocationNotFound);
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
        reports(&self.db, ctx.tenant, found).await
    }

    /// ListStockLevels of one location (staff covering it) or one SKU.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn list_stock_levels(
        &self,
        ctx: &Ctx,
        scope: repo::stock::Scope,
        low_only: bool,
        nonzero_only: bool,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<LevelReport>, AppError> {
        match scope {
            Scope::Location(id) => {
                let l = load(&self.db, ctx.tenant, id).await?;
                org_scope::require_on(ctx, &l)?;
            }
            Scope::Sku(id) => {
                require_skus(&self.db, ctx.tenant, &[id]).await?;
            }
        }
        let levels = repo::stock::list(
            &self.db,
            ctx.tenant,
            scope,
            low_only,
            nonzero_only,
            after,
            limit,
        )
        .await?;
        reports(&self.db, ctx.tenant, levels).await
    }

    /// ListStockMovements, newest first.
    pub async fn list_movements(
        &self,
        ctx: &Ctx,
        f: MovementFilter,
        before: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<Movement>, AppError> {
        if let Some(id) = f.location_id {
            let l = load(&self.db, ctx.tenant, id).await?;
            org_scope::require_on(ctx, &l)?;
        }
        if let Some(s) = f.sku_id {
            require_skus(&self.db, ctx.tenant, &[s]).await?;
        }
        repo::stock::movements::list(&self.db, ctx.tenant, &f, before, limit).await
    }

    /// SetLowStockThresholds: per pair (staff covering the location), or per SKU for every
    /// location without its own (tenant-wide).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, n = items.len()))]
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
                Some(id) => org_scope::require_on(ctx, &load(conn, ctx.tenant, id).await?)?,
                // Every location of the SKU at once.
                None => org_scope::require_tenant_wide(ctx)?,
            }
            n += repo::stock::set_threshold(conn, ctx.tenant, sku, loc, threshold, now_ms).await?;
        }
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }
}
