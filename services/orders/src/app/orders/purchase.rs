//! A paid top-up or paid-plan order applied: membership credits the stored value
//! (`TopUpStoredValue`) or activates the period (`ActivatePaidMembership`), keyed by the order
//! so a retry answers the same result, and the order then completes (PAID → COMPLETED by
//! PURCHASE_APPLIED; the after-sales window starts). Run by the `settle_paid` task, which
//! repeats until membership has answered.

use prost::Message as _;
use siyu_core::TenantId;

use super::model::{Order, OrderKind};
use super::status::OrderStatus;
use crate::AppError;
use crate::app::App;
use crate::app::checkout::remote::Purchase;
use crate::repo;

impl App {
    /// Applies the paid non-goods `order` at membership and completes it.
    pub async fn apply_purchase(&self, tenant: TenantId, order: &Order) -> Result<(), AppError> {
        if order.status != OrderStatus::Paid {
            // Completed already (a repeat of the task), or refunded and closed before it ran.
            return Ok(());
        }
        let purchase = self.purchase_of(tenant, order).await?;
        match order.kind {
            OrderKind::StoredValueTopUp => self.top_up_stored_value(tenant, &purchase).await?,
            OrderKind::PaidMembership => self.activate_paid_plan(tenant, &purchase).await?,
            OrderKind::Goods => return Ok(()),
        }
        self.complete_purchase(tenant, order.id).await?;
        Ok(())
    }

    /// What membership is told: the member, the plan line's plan, the cash and when it came,
    /// and the auto-renew choice kept on the checkout record.
    async fn purchase_of(&self, tenant: TenantId, order: &Order) -> Result<Purchase, AppError> {
        let member_id = order
            .member_id
            .ok_or_else(|| AppError::Internal(format!("plan order {} without member", order.id)))?;
        let plan_id = order
            .lines
            .first()
            .and_then(|l| siyu_proto::orders::v1::PricedLine::decode(l.priced.as_slice()).ok())
            .map(|l| l.plan_id)
            .filter(|p| !p.is_empty())
            .ok_or_else(|| AppError::Internal(format!("plan order {} without plan", order.id)))?;
        let auto_renew = repo::checkouts::taken_of_order(&self.db, tenant, order.id)
            .await?
            .is_some_and(|t| t.plan_auto_renew);
        Ok(Purchase {
            order_id: order.id,
            member_id,
            plan_id,
            paid_fen: order.paid_fen,
            paid_at_ms: order.paid_at_ms.unwrap_or(order.updated_at_ms),
            auto_renew,
        })
    }
}
