//! Reads: payments of an order or of the tenant, and the inbox, with the callers' rules.

use siyu_core::{Ctx, PrincipalKind};

use super::{Notification, Payment, order_link};
use crate::AppError;
use crate::app::App;
use crate::repo::payments::attempts::{self, PaymentFilter};
use crate::repo::payments::inbox::{self, InboxFilter};

impl App {
    /// ListPayments: consumers must name an order of their own; staff without a tenant-wide
    /// role must name an order of a store they hold a role on.
    pub async fn list_payments(
        &self,
        ctx: &Ctx,
        filter: &PaymentFilter,
        after: Option<(i64, uuid::Uuid)>,
        limit: u64,
    ) -> Result<Vec<Payment>, AppError> {
        match filter.order_id {
            Some(order_id) => {
                order_link::visible_order(&self.db, ctx, order_id).await?;
            }
            None if ctx.principal.kind == PrincipalKind::Consumer => {
                return Err(AppError::invalid("order_id", "required for consumers"));
            }
            None if ctx.principal.kind == PrincipalKind::Staff
                && !crate::app::orders::staff_sees(ctx, None) =>
            {
                return Err(AppError::invalid(
                    "order_id",
                    "required without a tenant-wide role",
                ));
            }
            None => {}
        }
        attempts::list(&self.db, ctx.tenant, filter, after, limit).await
    }

    /// ListPaymentNotifications: the inbox of the caller's tenant.
    pub async fn list_payment_notifications(
        &self,
        ctx: &Ctx,
        filter: &InboxFilter,
        after: Option<(i64, uuid::Uuid)>,
        limit: u64,
    ) -> Result<Vec<Notification>, AppError> {
        inbox::list(&self.db, ctx.tenant, filter, after, limit).await
    }
}
