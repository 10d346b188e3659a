//! What matching reads of local payments and refunds: WeChat Pay payments and the cash part of
//! refunds, by the PSP's keys or by the window of a day.

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::repo::{fetch_all, placeholders, uuid};

/// Keys per `IN (…)` list.
const CHUNK: usize = 500;

/// A WeChat Pay payment as matching sees it.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct LocalPayment {
    /// The payment.
    pub id: Uuid,
    /// Its order.
    pub order_id: Uuid,
    /// out_trade_no.
    pub out_trade_no: String,
    /// `PaymentStatus` number.
    pub status: i16,
    /// Amount, fen.
    pub amount_fen: i64,
    /// WeChat's transaction id.
    pub psp_transaction_id: String,
    /// When WeChat received the money.
    pub paid_at_ms: Option<i64>,
}

/// The cash part of a refund as matching sees it.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct LocalRefund {
    /// The refund.
    pub id: Uuid,
    /// Its order.
    pub order_id: Uuid,
    /// out_refund_no.
    pub refund_no: String,
    /// The refunded payment's out_trade_no.
    pub out_trade_no: String,
    /// WeChat's transaction id of the payment.
    pub psp_transaction_id: String,
    /// `RefundStatus` number.
    pub status: i16,
    /// `PspRefundStatus` number.
    pub psp_status: i16,
    /// Cash, fen.
    pub cash_fen: i64,
    /// WeChat's refund id.
    pub psp_refund_id: String,
    /// Created (submitted at once after).
    pub created_at_ms: i64,
}

const PAYMENT: &str = "SELECT id, order_id, out_trade_no, status, amount_fen, psp_transaction_id, \
    paid_at_ms FROM pay_payments WHERE tenant = $1 AND provider = 1";

const REFUND: &str = "SELECT r.id, r.order_id, r.refund_no, COALESCE(p.out_trade_no, '') AS \
    out_trade_no, COALESCE(p.psp_transaction_id, '') AS psp_transaction_id, r.status, \
    r.psp_status, r.cash_fen, r.psp_refund_id, r.created_at_ms \
    FROM pay_refunds r LEFT JOIN pay_payments p ON p.tenant = r.tenant AND p.id = r.payment_id \
    WHERE r.tenant = $1 AND r.cash_fen > 0";

/// Payments whose out_trade_no is one of `keys`.
pub async fn payments_by_trade_no(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    keys: &[String],
) -> Result<Vec<LocalPayment>, AppError> {
    let mut all = Vec::new();
    for chunk in keys.chunks(CHUNK) {
        let mut values = vec![uuid(tenant.0)];
        values.extend(chunk.iter().map(|k| Value::from(k.clone())));
        let sql = format!(
            "{PAYMENT} AND out_trade_no IN ({})",
            placeholders(2, chunk.len())
        );
        all.extend(fetch_all::<LocalPayment>(conn, &sql, values).await?);
    }
    Ok(all)
}

/// SUCCEEDED payments paid in `[from_ms, to_ms)`.
pub async fn payments_paid_between(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<LocalPayment>, AppError> {
    Ok(fetch_all(
        conn,
        &format!("{PAYMENT} AND status = 3 AND paid_at_ms >= $2 AND paid_at_ms < $3"),
        [uuid(tenant.0), from_ms.into(), to_ms.into()],
    )
    .await?)
}

/// Refunds whose out_refund_no is one of `keys`.
pub async fn refunds_by_no(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    keys: &[String],
) -> Result<Vec<LocalRefund>, AppError> {
    let mut all = Vec::new();
    for chunk in keys.chunks(CHUNK) {
        let mut values = vec![uuid(tenant.0)];
        values.extend(chunk.iter().map(|k| Value::from(k.clone())));
        let sql = format!(
            "{REFUND} AND r.refund_no IN ({})",
            placeholders(2, chunk.len())
        );
        all.extend(fetch_all::<LocalRefund>(conn, &sql, values).await?);
    }
    Ok(all)
}

/// Refunds submitted to WeChat (processing or succeeded there) created in `[from_ms, to_ms)`.
pub async fn refunds_submitted_between(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<LocalRefund>, AppError> {
    Ok(fetch_all(
        conn,
        &format!(
            "{REFUND} AND r.psp_status IN (3, 4) AND r.created_at_ms >= $2 AND r.created_at_ms < $3"
        ),
        [uuid(tenant.0), from_ms.into(), to_ms.into()],
    )
    .await?)
}
