//! Refunds (`siyu.payments.v1.Refund`): created by the orders side only — an approved
//! after-sale case — with one row per compensation step, so that each step runs exactly once
//! whatever retries happen. The refund id is the business key of every step at the peers.
//!
//! - [`model`]: a refund and its steps as kept;
//! - [`run`]: the `refund:<id>` task: the WeChat refund of the cash part and its polling;
//! - [`inbox`]: the PSP's final word (callback or query) recorded and applied once;
//! - [`compensate`]: the RPC steps at membership and catalog, each until it is DONE;
//! - [`finish`]: the refund SUCCEEDED with the order, its lines, the case and the events, in one
//!   transaction;
//! - [`reads`]: GetRefund, ListRefunds, QueryRefund and RetryRefund.

use sea_orm::ConnectionTrait;
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::after_sales::model::Case;
use crate::app::orders::model::{Order, OrderKind};
use crate::app::payments::{LateResolution, Payment, PaymentStatus, Provider};
use crate::repo;

pub mod compensate;
pub mod finish;
pub mod inbox;
pub mod model;
pub mod reads;
pub mod run;

/// `RefundStatus` numbers.
pub mod status {
    /// Created.
    pub const PENDING: i16 = 1;
    /// Running.
    pub const PROCESSING: i16 = 2;
    /// Done at every tender.
    pub const SUCCEEDED: i16 = 3;
    /// A person must act.
    pub const NEEDS_ATTENTION: i16 = 4;
}

/// `PspRefundStatus` numbers.
pub mod psp {
    /// No cash to refund.
    pub const NOT_APPLICABLE: i16 = 1;
    /// Not submitted yet.
    pub const NOT_SUBMITTED: i16 = 2;
    /// Accepted, money on its way.
    pub const PROCESSING: i16 = 3;
    /// Money returned.
    pub const SUCCESS: i16 = 4;
    /// The PSP could not return the money.
    pub const ABNORMAL: i16 = 5;
    /// The PSP closed the refund.
    pub const CLOSED: i16 = 6;
}

/// `CompensationStatus` numbers.
pub mod step {
    /// Waiting.
    pub const PENDING: i16 = 1;
    /// Failed transiently.
    pub const RETRYING: i16 = 2;
    /// Done.
    pub const DONE: i16 = 3;
    /// Not needed.
    pub const SKIPPED: i16 = 4;
    /// Refused by its owner: a person must act.
    pub const FAILED: i16 = 5;
}

/// `CompensationKind` numbers in the order the steps run, with their mechanism (1 RPC, 2 event).
pub const STEPS: [(i16, i16); 8] = [
    (7, 1),
    (8, 1),
    (1, 1),
    (2, 1),
    (3, 1),
    (4, 1),
    (5, 2),
    (6, 2),
];

/// Records the full refund of `payment`, a late or second success that is not the order's
/// (`reason` a `RefundReason` number: LATE_PAYMENT or DUPLICATE_PAYMENT), and schedules its
/// task; answers its id. Only the cash moves: nothing of the order is given back or counted.
pub async fn create_for_payment(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order: &Order,
    payment: &Payment,
    reason: i16,
    now_ms: i64,
) -> Result<Uuid, AppError> {
    // Every step skipped: the order never had this money's goods, points or commission.
    let steps: Vec<_> = STEPS
        .iter()
        .map(|(kind, mechanism)| (*kind, *mechanism, step::SKIPPED, 0, 0))
        .collect();
    let refund = repo::refunds::NewRefund {
        id: siyu_core::id::new(),
        refund_no: crate::app::orders::number::order_no(
            chrono::DateTime::from_timestamp_millis(now_ms).unwrap_or_default(),
        ),
        order_id: order.id,
        order_no: order.order_no.clone(),
        after_sale_id: None,
        payment_id: Some(payment.id),
        reason,
        cash_fen: payment.amount_fen,
        shipping_fen: 0,
        stored_value_fen: 0,
        points: 0,
        full_refund: false,
        psp_status: psp::NOT_SUBMITTED,
        initiated_by: "system".to_owned(),
        created_at_ms: now_ms,
    };
    repo::refunds::insert(conn, tenant, &refund, &steps).await?;
    repo::tasks::schedule(conn, tenant, order.id, &run::task_kind(refund.id), now_ms).await?;
    Ok(refund.id)
}

/// Records the refund of an approved case (PENDING; its PSP part and steps run after the
/// commit) and answers its id.
pub async fn create_for_case(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order: &Order,
    case: &Case,
    id: Uuid,
    now_ms: i64,
) -> Result<Uuid, AppError> {
    let cash = case.cash_fen();
    let payment = repo::payments::attempts::of_order(conn, tenant, order.id)
        .await?
        .into_iter()
        .find(|p| {
            // The payment that paid the order: the first, or a late one that revived it.
            p.provider == Provider::WechatPay
                && p.status == PaymentStatus::Succeeded
                && p.late_payment
                    .as_ref()
                    .is_none_or(|l| l.resolution == LateResolution::Revived)
        });
    if cash > 0 && payment.is_none() {
        return Err(AppError::Internal(format!(
            "order {} has cash to refund and no payment",
            order.id
        )));
    }
    let coupons = repo::checkouts::taken_of_order(conn, tenant, order.id)
        .await?
        .is_some_and(|t| t.coupons);
    let sv = case.stored_value_fen();
    let step_status = |kind: i16| -> (i16, i64, i64) {
        // CompensationStatus: 1 pending, 3 done, 4 skipped.
        match kind {
            // Reversed at approval, before this refund was recorded.
            7 if order.kind == OrderKind::StoredValueTopUp => (3, cash, 0),
            8 if order.kind == OrderKind::PaidMembership => (1, 0, 0),
            1 if sv > 0 => (1, sv, 0),
            2 if case.refund_points > 0 => (1, 0, case.refund_points),
            3 if case.full_refund && coupons => (1, 0, 0),
            4 if case.extra.restock => (1, 0, 0),
            5 | 6 => (1, 0, 0),
            _ => (4, 0, 0),
        }
    };
    let steps: Vec<_> = STEPS
        .iter()
        .map(|(kind, mechanism)| {
            let (s, amount, points) = step_status(*kind);
            (*kind, *mechanism, s, amount, points)
        })
        .collect();
    let refund = repo::refunds::NewRefund {
        id,
        refund_no: crate::app::orders::number::order_no(
            chrono::DateTime::from_timestamp_millis(now_ms).unwrap_or_default(),
        ),
        order_id: order.id,
        order_no: order.order_no.clone(),
        after_sale_id: Some(case.id),
        payment_id: payment.map(|p| p.id),
        // RefundReason STAFF_CANCEL for the system case of a staff cancellation, else AFTER_SALE.
        reason: if case.reason == crate::app::orders::cancel_paid::CANCELLED_BY_STAFF {
            2
        } else {
            1
        },
        cash_fen: cash,
        shipping_fen: case.shipping_refund_fen,
        stored_value_fen: sv,
        points: case.refund_points,
        full_refund: case.full_refund,
        psp_status: if cash > 0 {
            psp::NOT_SUBMITTED
        } else {
            psp::NOT_APPLICABLE
        },
        initiated_by: match case.opened_by_kind {
            1 => "member".to_owned(),
            2 => format!("staff:{}", case.opened_by_id),
            _ => "system".to_owned(),
        },
        created_at_ms: now_ms,
    };
    repo::refunds::insert(conn, tenant, &refund, &steps).await?;
    // The task runs it after the commit (at once from the handler, else from the jobs pass).
    repo::tasks::schedule(conn, tenant, order.id, &run::task_kind(refund.id), now_ms).await?;
    Ok(refund.id)
}
