//! Restocking returned units (RETURN movements), once per (order, refund).

use sea_orm::ConnectionTrait;
use siyu_core::TenantId;
use uuid::Uuid;

use crate::app::App;
use crate::app::domain::{Movement, MovementKind, ReservationStatus};
use crate::app::stock::low_stock;
use crate::{AppError, repo};

impl App {
    /// RestockReturn: RETURN movements, never more than sold per SKU, once per (order, refund).
    #[tracing::instrument(skip_all, fields(%tenant, %order_id))]
    pub async fn restock(
        &self,
        conn: &impl ConnectionTrait,
        tenant: TenantId,
        order_id: Uuid,
        refund_id: &str,
        lines: Vec<(Uuid, i32, Option<Uuid>)>,
        operator: &str,
    ) -> Result<Vec<Movement>, AppError> {
        let r = repo::reservations::by_order(conn, tenant, order_id, false)
            .await?
            .ok_or(AppError::ReservationNotFound)?;
        if r.status != ReservationStatus::Confirmed {
            return Err(AppError::ReservationNotConfirmed);
        }
        let now = self.clock.now();
        let now_ms = now.timestamp_millis();
        if !repo::reservations::claim_restock(conn, tenant, order_id, refund_id, now_ms).await? {
            let f = repo::stock::movements::Filter {
                order_id: Some(order_id.to_string()),
                refund_id: Some(refund_id.to_owned()),
                kinds: vec![MovementKind::Return],
                ..Default::default()
            };
            return repo::stock::movements::list(conn, tenant, &f, None, 1_000).await;
        }
        let mut planned = Vec::with_capacity(lines.len());
        for (sku, qty, loc) in lines {
            let sold = r
                .lines
                .iter()
                .find(|l| l.sku_id == sku)
                .ok_or(AppError::RestockExceedsSold)?;
            if !repo::reservations::add_restocked(conn, r.id, sku, qty).await? {
                return Err(AppError::RestockExceedsSold);
            }
            planned.push((sku, loc.unwrap_or(sold.location_id), qty));
        }
        planned.sort();
        let locs: Vec<Uuid> = planned.iter().map(|p| p.1).collect();
        let locations = repo::locations::get_many(conn, tenant, &locs).await?;
        let mut out = Vec::with_capacity(planned.len());
        for (sku, loc, qty) in planned {
            let location = locations
                .iter()
                .find(|l| l.id == loc)
                .ok_or(AppError::LocationNotFound)?;
            let level = repo::stock::add_on_hand(conn, tenant, sku, loc, qty, now_ms).await?;
            let mut m = Movement::new(MovementKind::Return, &level, qty, operator, now_ms);
            m.order_id = order_id.to_string();
            m.refund_id = refund_id.to_owned();
            out.push(m);
            low_stock::after_change(conn, tenant, location, &level, now).await?;
        }
        repo::stock::movements::insert_many(conn, tenant, &out).await?;
        Ok(out)
    }
}
