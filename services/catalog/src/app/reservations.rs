//! Order reservations (the checkout saga's calls). All lines or none; idempotent by order id.
//!
//! Concurrency: each line is one conditional `UPDATE … SET reserved = reserved + q WHERE … AND
//! on_hand - reserved >= q` inside the caller's transaction, lines in (sku, location) order. On
//! Postgres the row lock taken by the first update makes a concurrent reservation of the same
//! pair wait and then re-check the condition against the committed row, so no interleaving can
//! oversell; a failed line rolls back the whole transaction (the caller never commits an error).
//! On SQLite the transaction holds the database write lock from its start (`begin_write`).

use std::collections::HashMap;

use sea_orm::ConnectionTrait;
use siyu_core::Ctx;
use uuid::Uuid;

use super::domain::{Location, LocationStatus, Reservation, ReservationLine, ReservationStatus};
use super::locations::load;
use super::stock::{low_stock, require_skus};
use super::{App, org_scope};
use crate::{AppError, repo};

pub mod allocation;
mod expiry;
mod returns;
mod settle;

use allocation::{Policy, Target};

/// How often allocation is re-planned when a concurrent order took the planned stock.
const PLAN_ATTEMPTS: usize = 3;

/// A ReserveStock request, parsed.
#[derive(Debug, Clone)]
pub struct Reserve {
    /// The order.
    pub order_id: Uuid,
    /// (sku, quantity), distinct SKUs.
    pub lines: Vec<(Uuid, i32)>,
    /// Allocation policy.
    pub policy: Policy,
    /// Hold time.
    pub ttl_secs: i64,
    /// Retry a RELEASED/EXPIRED reservation.
    pub revive: bool,
}

impl App {
    /// ReserveStock: staff (POS orders) reserve only at locations they cover.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, order_id = %r.order_id))]
    pub async fn reserve(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        r: Reserve,
    ) -> Result<Reservation, AppError> {
        let tenant = ctx.tenant;
        let now = self.clock.now();
        let now_ms = now.timestamp_millis();
        let id = siyu_core::id::new();
        if !repo::reservations::claim_order(conn, tenant, r.order_id, id).await? {
            let existing = repo::reservations::by_order(conn, tenant, r.order_id, true)
                .await?
                .ok_or_else(|| AppError::Internal("order claimed without reservation".into()))?;
            let closed = matches!(
                existing.status,
                ReservationStatus::Released | ReservationStatus::Expired
            );
            if !(r.revive && closed) {
                return Ok(existing);
            }
            if !repo::reservations::repoint_order(conn, tenant, r.order_id, existing.id, id).await?
            {
                return Err(AppError::Internal("concurrent revival".into()));
            }
        }
        // Validate SKUs and the named location before touching stock (one query each).
        let skus: Vec<Uuid> = r.lines.iter().map(|l| l.0).collect();
        let infos = require_skus(conn, tenant, &skus).await?;
        if let Some(bad) = infos.iter().find(|s| !s.sellable) {
            return Err(AppError::SkuNotSellable { sku_id: bad.id });
        }
        let named = match r.policy.target {
            Target::Fixed(id) | Target::Pickup(id) => {
                let l = load(conn, tenant, id).await?;
                if l.status != LocationStatus::Active {
                    return Err(AppError::LocationNotActive);
                }
                Some(l)
            }
            Target::Delivery => None,
        };
        let candidates = match r.policy.target {
            Target::Fixed(_) => named.iter().cloned().collect(),
            _ => repo::locations::active(conn, tenant).await?,
        };
        let mut lines = Vec::new();
        let mut levels = Vec::new();
        'attempt: for attempt in 0..PLAN_ATTEMPTS {
            let snapshot = match r.policy.target {
                Target::Fixed(_) => HashMap::new(),
                _ => {
                    let ids: Vec<Uuid> = candidates.iter().map(|l| l.id).collect();
                    repo::stock::levels(conn, tenant, &skus, &ids)
                        .await?
                        .into_iter()
                        .map(|l| ((l.sku_id, l.location_id), l.available()))
                        .collect()
                }
            };
            let mut plan =
                allocation::plan(&r.lines, &r.policy, named.as_ref(), &candidates, &snapshot)
                    .map_err(|s| AppError::InsufficientStock {
                        sku_id: s.sku_id,
                        requested: s.requested,
                        available: s.available,
                    })?;
            let allocated: Vec<&Location> = candidates
                .iter()
                .filter(|l| plan.iter().any(|p| p.2 == l.id))
                .collect();
            for l in &allocated {
                org_scope::require_on(ctx, l)?;
            }
            plan.sort_by_key(|p| (p.0, p.2));
            lines.clear();
            levels.clear();
            for (sku, qty, loc) in &plan {
                match repo::stock::try_reserve(conn, tenant, *sku, *loc, *qty, now_ms).await? {
                    Some(level) => {
                        levels.push(level);
                        lines.push(ReservationLine {
                            sku_id: *sku,
                            quantity: *qty,
                            location_id: *loc,
                        });
                    }
                    None => {
                        let fixed = matches!(r.policy.target, Target::Fixed(_));
                        if fixed || attempt + 1 == PLAN_ATTEMPTS {
                            let available =
                                repo::stock::available(conn, tenant, *sku, *loc).await?;
                            return Err(AppError::InsufficientStock {
                                sku_id: *sku,
                                requested: *qty,
                                available,
                            });
                        }
                        // Undo this attempt's holds inside the transaction and plan again.
                        for l in &lines {
                            repo::stock::unreserve(
                                conn,
                                tenant,
                                l.sku_id,
                                l.location_id,
                                l.quantity,
                                now_ms,
                            )
                            .await?;
                        }
                        continue 'attempt;
                    }
                }
            }
            break;
        }
        let reservation = Reservation {
            id,
            order_id: r.order_id,
            status: ReservationStatus::Held,
            lines,
            expires_at_ms: now_ms + r.ttl_secs * 1000,
            created_at_ms: now_ms,
            closed_at_ms: None,
            release_reason: String::new(),
        };
        repo::reservations::insert(conn, tenant, &reservation).await?;
        for level in &levels {
            if let Some(l) = candidates.iter().find(|l| l.id == level.location_id) {
                low_stock::after_change(conn, tenant, l, level, now).await?;
            }
        }
        Ok(reservation)
    }
}
