//! The RPC compensation steps of a refund: a paid plan's period revoked before the cash moves;
//! once the cash is back, stored value and points to the member, coupons on a full refund,
//! goods to stock. Each call is keyed at the peer by
//! (order_id, refund_id) with an idempotency key of the refund and the step, and the step's row
//! records it DONE only once the owner confirmed: a retry after a crash repeats a call the peer
//! answers as before, never a second effect. The event steps (earned points and commission,
//! reversed by membership on OrderRefunded) are done by `finish`.

use siyu_core::TenantId;
use siyu_proto::catalog::v1 as catalog;
use siyu_proto::catalog::v1::inventory_service_client::InventoryServiceClient;
use siyu_proto::common::v1::Money;
use siyu_proto::membership::v1 as membership;
use siyu_proto::membership::v1::coupon_service_client::CouponServiceClient;
use siyu_proto::membership::v1::ledger_service_client::LedgerServiceClient;
use siyu_proto::membership::v1::paid_membership_service_client::PaidMembershipServiceClient;

use super::model::{Refund, Step};
use super::{status, step};
use crate::AppError;
use crate::app::App;
use crate::peers::refusal;
use crate::repo;

/// `CompensationKind` numbers of the RPC steps this service runs.
mod kind {
    pub const RESTORE_STORED_VALUE: i16 = 1;
    pub const RESTORE_POINTS: i16 = 2;
    pub const RESTORE_COUPONS: i16 = 3;
    pub const RESTOCK: i16 = 4;
    pub const REVOKE_PAID_MEMBERSHIP: i16 = 8;
}

impl App {
    /// Runs every RPC step not yet done, in order. True when all are done; false when one was
    /// refused by its owner (the step FAILED, the refund NEEDS_ATTENTION); a peer that cannot be
    /// reached leaves the step RETRYING and is the error.
    pub async fn compensate(&self, tenant: TenantId, refund: &Refund) -> Result<bool, AppError> {
        self.run_steps(tenant, refund, |_| true).await
    }

    /// What a paid-plan order bought taken back before its cash moves (the period revoked);
    /// answers as [`App::compensate`]. Nothing to do for other orders.
    pub async fn take_back_purchase(
        &self,
        tenant: TenantId,
        refund: &Refund,
    ) -> Result<bool, AppError> {
        self.run_steps(tenant, refund, |kind| kind == kind::REVOKE_PAID_MEMBERSHIP)
            .await
    }

    /// Runs the open RPC steps of the kinds `which` admits, in order.
    async fn run_steps(
        &self,
        tenant: TenantId,
        refund: &Refund,
        which: impl Fn(i16) -> bool,
    ) -> Result<bool, AppError> {
        let open = |s: &&Step| {
            s.mechanism == 1
                && which(s.kind)
                && matches!(s.status, step::PENDING | step::RETRYING | step::FAILED)
        };
        for s in refund.steps.iter().filter(open) {
            let result = self.compensation_call(tenant, refund, s).await;
            let now = self.now_ms();
            match result {
                Ok(()) => {
                    repo::refunds::set_step(
                        &self.db,
                        tenant,
                        refund.id,
                        s.kind,
                        step::DONE,
                        "",
                        now,
                    )
                    .await?;
                }
                Err(AppError::Refused { reason, .. }) => {
                    let txn = siyu_store::db::begin_write(&self.db).await?;
                    repo::refunds::set_step(
                        &txn,
                        tenant,
                        refund.id,
                        s.kind,
                        step::FAILED,
                        &reason,
                        now,
                    )
                    .await?;
                    repo::refunds::set_status(
                        &txn,
                        tenant,
                        refund.id,
                        &[status::PENDING, status::PROCESSING],
                        status::NEEDS_ATTENTION,
                        now,
                    )
                    .await?;
                    if let Some(case) = refund.after_sale_id {
                        repo::after_sales::set_issue(&txn, tenant, case, &reason).await?;
                    }
                    txn.commit().await?;
                    return Ok(false);
                }
                Err(e) => {
                    let reason = match &e {
                        AppError::PeerUnavailable { service, .. } => {
                            format!("{}_UNAVAILABLE", service.to_uppercase())
                        }
                        other => other.to_string(),
                    };
                    repo::refunds::set_step(
                        &self.db,
                        tenant,
                        refund.id,
                        s.kind,
                        step::RETRYING,
                        &reason,
                        now,
                    )
                    .await?;
                    return Err(e);
                }
            }
        }
        Ok(true)
    }

    /// One step's call at its owner.
    async fn compensation_call(
        &self,
        tenant: TenantId,
        refund: &Refund,
        s: &Step,
    ) -> Result<(), AppError> {
        let order_id = refund.order_id.to_string();
        let refund_id = refund.id.to_string();
        let key = format!("refund:{}:{}", refund.id, s.kind);
        match s.kind {
            kind::RESTORE_STORED_VALUE => {
                let message = membership::RefundStoredValueRequest {
                    order_id,
                    refund_id,
                    amount: Some(Money {
                        minor_units: s.amount_fen,
                        currency_code: "CNY".into(),
                    }),
                };
                let request = self
                    .peers
                    .request("membership", tenant, message, Some(&key))
                    .await?;
                LedgerServiceClient::new(self.peers.membership.clone())
                    .refund_stored_value(request)
                    .await
                    .map_err(|e| refusal("membership", &e))?;
            }
            kind::RESTORE_POINTS => {
                let message = membership::RefundPointsRequest {
                    order_id,
                    refund_id,
                    points: s.points,
                };
                let request = self
                    .peers
                    .request("membership", tenant, message, Some(&key))
                    .await?;
                LedgerServiceClient::new(self.peers.membership.clone())
                    .refund_points(request)
                    .await
                    .map_err(|e| refusal("membership", &e))?;
            }
            kind::RESTORE_COUPONS => {
                let message = membership::RestoreCouponsRequest {
                    order_id,
                    refund_id,
                };
                let request = self
                    .peers
                    .request("membership", tenant, message, Some(&key))
                    .await?;
                CouponServiceClient::new(self.peers.membership.clone())
                    .restore_coupons(request)
                    .await
                    .map_err(|e| refusal("membership", &e))?;
            }
            kind::RESTOCK => {
                let lines = self.restock_lines(tenant, refund).await?;
                if lines.is_empty() {
                    return Ok(());
                }
                let message = catalog::RestockReturnRequest {
                    order_id,
                    refund_id,
                    lines,
                };
                let request = self
                    .peers
                    .request("catalog", tenant, message, Some(&key))
                    .await?;
                InventoryServiceClient::new(self.peers.catalog.clone())
                    .restock_return(request)
                    .await
                    .map_err(|e| refusal("catalog", &e))?;
            }
            kind::REVOKE_PAID_MEMBERSHIP => {
                let message = membership::RevokePaidMembershipRequest {
                    order_id,
                    refund_id,
                    reason: "ORDER_REFUNDED".into(),
                };
                let request = self
                    .peers
                    .request("membership", tenant, message, Some(&key))
                    .await?;
                PaidMembershipServiceClient::new(self.peers.membership.clone())
                    .revoke_paid_membership(request)
                    .await
                    .map_err(|e| refusal("membership", &e))?;
            }
            // REVERSE_TOP_UP runs at approval and is recorded done with the refund.
            other => {
                return Err(AppError::Internal(format!(
                    "compensation kind {other} not run by this version"
                )));
            }
        }
        Ok(())
    }

    /// The case's units by SKU, back where they were sold from.
    async fn restock_lines(
        &self,
        tenant: TenantId,
        refund: &Refund,
    ) -> Result<Vec<catalog::RestockLine>, AppError> {
        let Some(case_id) = refund.after_sale_id else {
            return Ok(Vec::new());
        };
        let case = repo::after_sales::get(&self.db, tenant, case_id, false)
            .await?
            .ok_or_else(|| AppError::Internal(format!("refund {} without case", refund.id)))?;
        let order = repo::orders::get(&self.db, tenant, refund.order_id, false)
            .await?
            .ok_or(AppError::OrderNotFound)?;
        Ok(case
            .lines
            .iter()
            .filter_map(|l| {
                let line = order.lines.iter().find(|o| o.id == l.order_line_id)?;
                Some(catalog::RestockLine {
                    sku_id: line.sku_id?.to_string(),
                    quantity: l.quantity,
                    location_id: String::new(),
                })
            })
            .collect())
    }
}
