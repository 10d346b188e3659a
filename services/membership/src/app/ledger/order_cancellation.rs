//! What an unpaid order's cancellation releases (OrderCancelled): the points and stored value
//! its checkout held. Orders also releases them by RPC; both go through `App::release`, which
//! moves a hold HELD → RELEASED once, so whichever comes second changes nothing. A paid order's
//! holds were captured: its refund follows as OrderRefunded.

use sea_orm::ConnectionTrait;
use siyu_core::Ctx;
use uuid::Uuid;

use crate::AppError;
use crate::app::App;
use crate::app::domain::HoldKind;

impl App {
    /// Releases the order's held points and stored value; answers how many holds this call
    /// released.
    pub async fn release_cancelled_order(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        order_id: Uuid,
    ) -> Result<usize, AppError> {
        let mut released = 0;
        for kind in [HoldKind::Points, HoldKind::StoredValue] {
            let before =
                crate::repo::ledger::holds::latest(conn, ctx.tenant, order_id, kind, false).await?;
            let Some(before) = before else { continue };
            match self
                .release(conn, ctx, order_id, kind, "ORDER_CANCELLED")
                .await
            {
                Ok(Some(after)) if after.status != before.status => released += 1,
                Ok(_) => {}
                // Captured after all (a late payment revived the order): its refund follows.
                Err(AppError::HoldAlreadyCaptured) => {
                    tracing::info!(%order_id, "cancelled order's hold was captured; left to its refund");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(released)
    }
}
