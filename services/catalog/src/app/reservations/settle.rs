//! Settling a reservation: confirm (a sale), release or expire (stock back), and reading it.

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, PrincipalKind, TenantId};
use uuid::Uuid;

use crate::app::domain::{Movement, MovementKind, Reservation, ReservationStatus};
use crate::app::stock::low_stock;
use crate::app::{App, org_scope};
use crate::{AppError, repo};

impl App {
    /// ConfirmReservation (and OrderPaid): on_hand and reserved drop, SALE movements.
    #[tracing::instrument(skip_all, fields(%tenant, %order_id))]
    pub async fn confirm(
        &self,
        conn: &impl ConnectionTrait,
        tenant: TenantId,
        order_id: Uuid,
        operator: &str,
    ) -> Result<Reservation, AppError> {
        let mut r = repo::reservations::by_order(conn, tenant, order_id, false)
            .await?
            .ok_or(AppError::ReservationNotFound)?;
        let now_ms = self.now_ms();
        if !repo::reservations::close_if_held(conn, r.id, ReservationStatus::Confirmed, "", now_ms)
            .await?
        {
            // Lost the race or not HELD: answer from the committed state.
            let r = repo::reservations::by_order(conn, tenant, order_id, false)
                .await?
                .ok_or(AppError::ReservationNotFound)?;
            return match r.status {
                ReservationStatus::Confirmed => Ok(r),
                ReservationStatus::Released => Err(AppError::ReservationReleased),
                ReservationStatus::Expired => Err(AppError::ReservationExpired),
                ReservationStatus::Held => Err(AppError::ReservationBusy),
            };
        }
        let mut movements = Vec::with_capacity(r.lines.len());
        let mut sorted = r.lines.clone();
        sorted.sort_by_key(|l| (l.sku_id, l.location_id));
        for l in &sorted {
            let level = repo::stock::consume_reserved(
                conn,
                tenant,
                l.sku_id,
                l.location_id,
                l.quantity,
                now_ms,
            )
            .await?
            .ok_or_else(|| AppError::Internal("reserved stock missing on confirm".into()))?;
            let mut m = Movement::new(MovementKind::Sale, &level, -l.quantity, operator, now_ms);
            m.order_id = order_id.to_string();
            movements.push(m);
        }
        repo::stock::movements::insert_many(conn, tenant, &movements).await?;
        r.status = ReservationStatus::Confirmed;
        r.closed_at_ms = Some(now_ms);
        Ok(r)
    }

    /// ReleaseReservation (and OrderCancelled) or expiry: reserved drops.
    #[tracing::instrument(skip_all, fields(%tenant, %order_id))]
    pub async fn release(
        &self,
        conn: &impl ConnectionTrait,
        tenant: TenantId,
        order_id: Uuid,
        reason: &str,
    ) -> Result<Option<Reservation>, AppError> {
        let Some(r) = repo::reservations::by_order(conn, tenant, order_id, false).await? else {
            return Ok(None);
        };
        let (r, _) = self
            .close(conn, tenant, r, ReservationStatus::Released, reason)
            .await?;
        Ok(Some(r))
    }

    /// HELD → Released/Expired exactly once, giving the held units back; `true` when this call
    /// made the transition (`false`: it was already closed, the current state is returned).
    pub(crate) async fn close(
        &self,
        conn: &impl ConnectionTrait,
        tenant: TenantId,
        mut r: Reservation,
        to: ReservationStatus,
        reason: &str,
    ) -> Result<(Reservation, bool), AppError> {
        let now = self.clock.now();
        let now_ms = now.timestamp_millis();
        if !repo::reservations::close_if_held(conn, r.id, to, reason, now_ms).await? {
            let (_, current) = repo::reservations::by_id(conn, r.id)
                .await?
                .ok_or(AppError::ReservationNotFound)?;
            return match current.status {
                ReservationStatus::Confirmed if to == ReservationStatus::Released => {
                    Err(AppError::ReservationConfirmed)
                }
                ReservationStatus::Held => Err(AppError::ReservationBusy),
                _ => Ok((current, false)),
            };
        }
        let mut sorted = r.lines.clone();
        sorted.sort_by_key(|l| (l.sku_id, l.location_id));
        let locs: Vec<Uuid> = sorted.iter().map(|l| l.location_id).collect();
        let locations = repo::locations::get_many(conn, tenant, &locs).await?;
        for l in &sorted {
            let level =
                repo::stock::unreserve(conn, tenant, l.sku_id, l.location_id, l.quantity, now_ms)
                    .await?
                    .ok_or_else(|| {
                        AppError::Internal("reserved stock missing on release".into())
                    })?;
            if let Some(loc) = locations.iter().find(|x| x.id == l.location_id) {
                low_stock::after_change(conn, tenant, loc, &level, now).await?;
            }
        }
        r.status = to;
        r.closed_at_ms = Some(now_ms);
        r.release_reason = reason.to_owned();
        Ok((r, true))
    }

    /// GetReservation: staff see reservations held at locations they cover.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %order_id))]
    pub async fn get_reservation(
        &self,
        ctx: &Ctx,
        order_id: Uuid,
    ) -> Result<Reservation, AppError> {
        let r = repo::reservations::by_order(&self.db, ctx.tenant, order_id, false)
            .await?
            .ok_or(AppError::ReservationNotFound)?;
        // Only staff are scoped by org unit; services (orders' saga) skip the locations query.
        if ctx.principal.kind == PrincipalKind::Staff {
            let locs: Vec<Uuid> = r.lines.iter().map(|l| l.location_id).collect();
            for l in repo::locations::get_many(&self.db, ctx.tenant, &locs).await? {
                org_scope::require_on(ctx, &l)?;
            }
        }
        Ok(r)
    }
}
