//! The one path by which a PSP's word about a payment takes effect: a notification or a query
//! result is recorded in the inbox under the PSP transaction id, and only the first record of
//! a key applies — in the same transaction: the payment SUCCEEDED and the order PAID (or the
//! payment's LatePayment record when the order no longer waits for it).

use sea_orm::ConnectionTrait;
use siyu_core::TenantId;

use super::{LatePayment, LateResolution, Notification, NotificationKind, Outcome, order_link};
use crate::AppError;
use crate::repo::payments::{attempts, inbox};

/// What the PSP says about one payment (a decrypted `transaction` or a query answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PspPayment {
    /// `TRANSACTION.SUCCESS`, or `QUERY` for a status query.
    pub event_type: String,
    /// The PSP's notification id (empty for a query).
    pub psp_notification_id: String,
    /// The PSP transaction id: the inbox key.
    pub transaction_id: String,
    /// The merchant id it was paid to.
    pub mch_id: String,
    /// The merchant order number.
    pub out_trade_no: String,
    /// `SUCCESS`, `NOTPAY`, …
    pub trade_state: String,
    /// The total, fen.
    pub amount_fen: i64,
    /// The currency (`CNY`), if given.
    pub currency: Option<String>,
    /// The payer's bank type.
    pub bank_type: String,
    /// When the PSP received the money (ms), if it said.
    pub paid_at_ms: Option<i64>,
}

/// Records `p` in the inbox and applies it if it is the first record of its key. Returns what
/// this delivery did (DUPLICATE for a key seen before) and the stored record.
pub async fn apply_payment(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    p: &PspPayment,
    now_ms: i64,
) -> Result<(Outcome, Notification), AppError> {
    let payment = attempts::by_out_trade_no(conn, tenant, &p.out_trade_no, true).await?;
    let outcome = match &payment {
        None => Outcome::UnknownReference,
        Some(local) if local.mch_id != p.mch_id && !local.mch_id.is_empty() => {
            Outcome::UnknownReference
        }
        Some(local)
            if local.amount_fen != p.amount_fen
                || p.currency.as_deref().is_some_and(|c| c != "CNY") =>
        {
            Outcome::AmountMismatch
        }
        Some(_) if p.trade_state != "SUCCESS" => Outcome::Ignored,
        Some(_) => Outcome::Applied,
    };
    let record = Notification {
        id: siyu_core::id::new(),
        psp_notification_id: p.psp_notification_id.clone(),
        kind: NotificationKind::Payment,
        event_type: p.event_type.clone(),
        psp_key: p.transaction_id.clone(),
        out_trade_no: p.out_trade_no.clone(),
        out_refund_no: String::new(),
        payment_id: payment.as_ref().map(|x| x.id),
        refund_id: None,
        psp_state: p.trade_state.clone(),
        amount_fen: p.amount_fen,
        outcome,
        delivery_count: 1,
        first_received_at_ms: now_ms,
        last_received_at_ms: now_ms,
    };
    let stored = inbox::record(conn, tenant, &record).await?;
    if stored.delivery_count > 1 {
        return Ok((Outcome::Duplicate, stored));
    }
    if let (Outcome::Applied, Some(local)) = (outcome, payment) {
        let paid_at_ms = p.paid_at_ms.unwrap_or(now_ms);
        let order = order_link::order(conn, tenant, local.order_id, true)
            .await?
            .ok_or_else(|| AppError::Internal(format!("payment {} without order", local.id)))?;
        let late = (order.status != order_link::PENDING_PAYMENT).then(|| LatePayment {
            detected_at_ms: now_ms,
            resolution: LateResolution::Pending,
            refund_id: String::new(),
            revive_failure_reason: String::new(),
            resolved_at_ms: None,
        });
        let success = attempts::Success {
            transaction_id: &p.transaction_id,
            trade_state: &p.trade_state,
            bank_type: &p.bank_type,
            paid_at_ms,
            late: late.as_ref(),
        };
        attempts::succeed(conn, tenant, local.id, &success, now_ms).await?;
        if late.is_none() {
            crate::app::orders::paid::mark_paid(
                conn,
                tenant,
                order.id,
                &crate::app::orders::paid::PaidBy {
                    payment_id: local.id,
                    provider: siyu_proto::events::v1::OrderPaymentProvider::WechatPay as i32,
                    transaction_id: p.transaction_id.clone(),
                    paid_fen: p.amount_fen,
                    paid_at_ms,
                },
                now_ms,
            )
            .await?;
        } else {
            tracing::warn!(
                order_id = %order.id,
                payment_id = %local.id,
                order_status = order.status,
                "payment succeeded for an order no longer waiting for it"
            );
            // Revived or refunded by the jobs pass, never lost.
            crate::repo::tasks::schedule(
                conn,
                tenant,
                order.id,
                &super::late::task_kind(local.id),
                now_ms,
            )
            .await?;
        }
    }
    Ok((outcome, stored))
}
