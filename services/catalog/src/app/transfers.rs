//! Stock transfers (调拨) between two locations of a tenant.
//!
//! CreateTransfer reserves every line at the source with the same conditional update as a
//! reservation (`reserved += q WHERE on_hand - reserved >= q`, lines in SKU order, all or
//! none). ShipTransfer consumes the reservation (`on_hand −= q, reserved −= q`, TRANSFER_OUT)
//! and raises the destination's `in_transit`; ReceiveTransfer turns it into destination on-hand
//! (TRANSFER_IN of the counted quantity; a shortfall is noted as TRANSFER_DISCREPANCY);
//! CancelTransfer releases the source reservation. Each state change is one conditional
//! `UPDATE inv_transfers … WHERE status = X`: only the caller whose update matched moves stock,
//! every other retry answers from the committed state.

use std::fmt::Write as _;

use sea_orm::ConnectionTrait;
use siyu_core::Ctx;
use uuid::Uuid;

use super::domain::{
    Location, LocationStatus, Movement, MovementKind, Transfer, TransferLine, TransferStatus,
};
use super::locations::load;
use super::stock::{low_stock, require_skus};
use super::{App, org_scope};
use crate::repo::transfers::Change;
use crate::{AppError, repo};

/// proto `ADJUST_REASON_TRANSFER_DISCREPANCY`, set on a short TRANSFER_IN movement.
const DISCREPANCY: i16 = 6;

/// A CreateTransfer request, parsed (distinct SKUs, quantities ≥ 1, locations distinct).
#[derive(Debug, Clone)]
pub struct CreateTransfer {
    /// Source.
    pub from: Uuid,
    /// Destination.
    pub to: Uuid,
    /// (sku, quantity).
    pub lines: Vec<(Uuid, i32)>,
    /// Note.
    pub note: String,
}

/// "TR" + the day + ten digits of the id's random bits (display only; the id is the key).
fn transfer_no(id: Uuid, now: chrono::DateTime<chrono::Utc>) -> String {
    let n = id.as_u128() % 10_000_000_000;
    format!("TR{}{n:010}", now.format("%Y%m%d"))
}

impl App {
    /// The transfer and its two locations (any status), or TRANSFER_NOT_FOUND.
    async fn transfer_with_locations(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
    ) -> Result<(Transfer, Location, Location), AppError> {
        let t = repo::transfers::get(conn, ctx.tenant, id)
            .await?
            .ok_or(AppError::TransferNotFound)?;
        let from = load(conn, ctx.tenant, t.from_location_id).await?;
        let to = load(conn, ctx.tenant, t.to_location_id).await?;
        Ok((t, from, to))
    }

    /// The committed state after a transition this call did not make.
    async fn current(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
    ) -> Result<Transfer, AppError> {
        repo::transfers::get(conn, ctx.tenant, id)
            .await?
            .ok_or(AppError::TransferNotFound)
    }

    /// CreateTransfer: CREATED with every line reserved at the source; staff covering the
    /// source or the destination.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, from = %c.from, to = %c.to))]
    pub async fn create_transfer(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        mut c: CreateTransfer,
    ) -> Result<Transfer, AppError> {
        let from = load(conn, ctx.tenant, c.from).await?;
        let to = load(conn, ctx.tenant, c.to).await?;
        org_scope::require_on_any(ctx, &[&from, &to])?;
        if from.status != LocationStatus::Active || to.status != LocationStatus::Active {
            return Err(AppError::LocationNotActive);
        }
        let skus: Vec<Uuid> = c.lines.iter().map(|l| l.0).collect();
        require_skus(conn, ctx.tenant, &skus).await?;
        let now = self.clock.now();
        let now_ms = now.timestamp_millis();
        c.lines.sort();
        let mut levels = Vec::with_capacity(c.lines.len());
        for (sku, qty) in &c.lines {
            match repo::stock::try_reserve(conn, ctx.tenant, *sku, from.id, *qty, now_ms).await? {
                Some(level) => levels.push(level),
                None => {
                    // The caller drops the transaction: the lines reserved so far roll back.
                    let available = repo::stock::available(conn, ctx.tenant, *sku, from.id).await?;
                    return Err(AppError::InsufficientStock {
                        sku_id: *sku,
                        requested: *qty,
                        available,
                    });
                }
            }
        }
        let id = siyu_core::id::new();
        let t = Transfer {
            id,
            transfer_no: transfer_no(id, now),
            from_location_id: from.id,
            to_location_id: to.id,
            lines: c
                .lines
                .iter()
                .map(|(sku, qty)| TransferLine {
                    sku_id: *sku,
                    quantity: *qty,
                    received_quantity: 0,
                })
                .collect(),
            status: TransferStatus::Created,
            note: c.note,
            tracking_reference: String::new(),
            created_by: ctx.principal.subject.clone(),
            created_at_ms: now_ms,
            shipped_at_ms: None,
            closed_at_ms: None,
        };
        repo::transfers::insert(conn, ctx.tenant, &t).await?;
        for level in &levels {
            low_stock::after_change(conn, ctx.tenant, &from, level, now).await?;
        }
        Ok(t)
    }

    /// ShipTransfer: CREATED → SHIPPED once; source on_hand and reserved drop (TRANSFER_OUT),
    /// destination in_transit rises. A shipped (or since received) transfer is returned. Staff
    /// covering the source.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %id))]
    pub async fn ship_transfer(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
        tracking: &str,
    ) -> Result<Transfer, AppError> {
        let (_, from, _) = self.transfer_with_locations(conn, ctx, id).await?;
        org_scope::require_on(ctx, &from)?;
        let now_ms = self.now_ms();
        let change = Change::Ship { tracking };
        let Some(t) = repo::transfers::transition(
            conn,
            ctx.tenant,
            id,
            TransferStatus::Created,
            change,
            now_ms,
        )
        .await?
        else {
            let t = self.current(conn, ctx, id).await?;
            return match t.status {
                TransferStatus::Shipped | TransferStatus::Received => Ok(t),
                _ => Err(AppError::TransferNotCreated),
            };
        };
        // Source and destination rows in one (sku, location) order, like every multi-row
        // change: a transfer shipped the other way at the same time cannot deadlock with this.
        let mut rows: Vec<(Uuid, Uuid, i32)> = Vec::with_capacity(t.lines.len() * 2);
        for l in &t.lines {
            rows.push((l.sku_id, from.id, l.quantity));
            rows.push((l.sku_id, t.to_location_id, l.quantity));
        }
        rows.sort_unstable_by_key(|r| (r.0, r.1));
        let mut movements = Vec::with_capacity(t.lines.len());
        for (sku, loc, qty) in rows {
            if loc != from.id {
                repo::stock::add_in_transit(conn, ctx.tenant, sku, loc, qty, now_ms).await?;
                continue;
            }
            let level = repo::stock::consume_reserved(conn, ctx.tenant, sku, loc, qty, now_ms)
                .await?
                .ok_or_else(|| AppError::Internal("transfer reservation missing".into()))?;
            let mut m = Movement::new(
                MovementKind::TransferOut,
                &level,
                -qty,
                &ctx.principal.subject,
                now_ms,
            );
            m.transfer_id = t.id.to_string();
            m.reference.clone_from(&t.tracking_reference);
            movements.push(m);
        }
        repo::stock::movements::insert_many(conn, ctx.tenant, &movements).await?;
        Ok(t)
    }

    /// ReceiveTransfer: SHIPPED → RECEIVED once with the counted quantities (`received`:
    /// (sku, units) for the SKUs counted short; the others count as fully received). Staff
    /// covering the destination.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %id))]
    pub async fn receive_transfer(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
        received: &[(Uuid, i32)],
        note: &str,
    ) -> Result<Transfer, AppError> {
        let (t, _, to) = self.transfer_with_locations(conn, ctx, id).await?;
        org_scope::require_on(ctx, &to)?;
        let mut lines = t.lines.clone();
        for l in &mut lines {
            l.received_quantity = l.quantity;
        }
        for (i, (sku, qty)) in received.iter().enumerate() {
            let Some(l) = lines.iter_mut().find(|l| l.sku_id == *sku) else {
                return Err(AppError::invalid(
                    format!("received[{i}].sku_id"),
                    "not a line of the transfer",
                ));
            };
            if *qty > l.quantity {
                return Err(AppError::invalid(
                    format!("received[{i}].quantity"),
                    "more than shipped",
                ));
            }
            l.received_quantity = *qty;
        }
        let mut new_note = t.note.clone();
        let short: Vec<String> = lines
            .iter()
            .filter(|l| l.received_quantity < l.quantity)
            .map(|l| format!("{} short {}", l.sku_id, l.quantity - l.received_quantity))
            .collect();
        if !short.is_empty() {
            if !new_note.is_empty() {
                new_note.push('\n');
            }
            let _ = write!(new_note, "TRANSFER_DISCREPANCY: {}", short.join(", "));
            if !note.is_empty() {
                let _ = write!(new_note, " ({note})");
            }
        } else if !note.is_empty() {
            if !new_note.is_empty() {
                new_note.push('\n');
            }
            new_note.push_str(note);
        }
        let now = self.clock.now();
        let now_ms = now.timestamp_millis();
        let change = Change::Receive {
            lines: &lines,
            note: &new_note,
        };
        let Some(t) = repo::transfers::transition(
            conn,
            ctx.tenant,
            id,
            TransferStatus::Shipped,
            change,
            now_ms,
        )
        .await?
        else {
            let t = self.current(conn, ctx, id).await?;
            return match t.status {
                TransferStatus::Received => Ok(t),
                _ => Err(AppError::TransferNotShipped),
            };
        };
        let mut movements = Vec::with_capacity(t.lines.len());
        for l in &t.lines {
            let level = repo::stock::arrive(
                conn,
                ctx.tenant,
                l.sku_id,
                to.id,
                l.quantity,
                l.received_quantity,
                now_ms,
            )
            .await?
            .ok_or_else(|| AppError::Internal("transfer not in transit".into()))?;
            if l.received_quantity > 0 {
                let mut m = Movement::new(
                    MovementKind::TransferIn,
                    &level,
                    l.received_quantity,
                    &ctx.principal.subject,
                    now_ms,
                );
                m.transfer_id = t.id.to_string();
                m.reference.clone_from(&t.tracking_reference);
                if l.received_quantity < l.quantity {
                    m.reason = DISCREPANCY;
                    m.note = format!("short {}", l.quantity - l.received_quantity);
                }
                movements.push(m);
            }
            low_stock::after_change(conn, ctx.tenant, &to, &level, now).await?;
        }
        repo::stock::movements::insert_many(conn, ctx.tenant, &movements).await?;
        Ok(t)
    }

    /// CancelTransfer: CREATED → CANCELLED once, releasing the source reservation; staff
    /// covering the source or the destination.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %id))]
    pub async fn cancel_transfer(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
    ) -> Result<Transfer, AppError> {
        let (_, from, to) = self.transfer_with_locations(conn, ctx, id).await?;
        org_scope::require_on_any(ctx, &[&from, &to])?;
        let now = self.clock.now();
        let now_ms = now.timestamp_millis();
        let Some(t) = repo::transfers::transition(
            conn,
            ctx.tenant,
            id,
            TransferStatus::Created,
            Change::Cancel,
            now_ms,
        )
        .await?
        else {
            let t = self.current(conn, ctx, id).await?;
            return match t.status {
                TransferStatus::Cancelled => Ok(t),
                _ => Err(AppError::TransferAlreadyShipped),
            };
        };
        for l in &t.lines {
            let level =
                repo::stock::unreserve(conn, ctx.tenant, l.sku_id, from.id, l.quantity, now_ms)
                    .await?
                    .ok_or_else(|| AppError::Internal("transfer reservation missing".into()))?;
            low_stock::after_change(conn, ctx.tenant, &from, &level, now).await?;
        }
        Ok(t)
    }

    /// GetTransfer: staff covering the source or the destination.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %id))]
    pub async fn get_transfer(&self, ctx: &Ctx, id: Uuid) -> Result<Transfer, AppError> {
        let (t, from, to) = self.transfer_with_locations(&self.db, ctx, id).await?;
        org_scope::require_on_any(ctx, &[&from, &to])?;
        Ok(t)
    }

    /// ListTransfers: from or to `location` (staff covering it), or tenant-wide; newest first.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn list_transfers(
        &self,
        ctx: &Ctx,
        location: Option<Uuid>,
        statuses: &[TransferStatus],
        before: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<Transfer>, AppError> {
        match location {
            Some(id) => org_scope::require_on(ctx, &load(&self.db, ctx.tenant, id).await?)?,
            None => org_scope::require_tenant_wide(ctx)?,
        }
        repo::transfers::list(&self.db, ctx.tenant, location, statuses, before, limit).await
    }
}
