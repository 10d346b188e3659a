//! `pay_refunds` and `pay_refund_steps`: refunds and their compensation steps.

use sea_orm::ConnectionTrait;
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::repo::{execute, opt_uuid, uuid};

/// A refund as created.
#[derive(Debug, Clone)]
pub struct NewRefund {
    /// The refund id.
    pub id: Uuid,
    /// The PSP out_refund_no.
    pub refund_no: String,
    /// The order.
    pub order_id: Uuid,
    /// Its number.
    pub order_no: String,
    /// The case.
    pub after_sale_id: Option<Uuid>,
    /// The payment refunded against.
    pub payment_id: Option<Uuid>,
    /// `RefundReason` number.
    pub reason: i16,
    /// Cash, fen (shipping included).
    pub cash_fen: i64,
    /// Shipping, fen.
    pub shipping_fen: i64,
    /// Stored value, fen.
    pub stored_value_fen: i64,
    /// Points.
    pub points: i64,
    /// Whether the order is refunded in full.
    pub full_refund: bool,
    /// `PspRefundStatus` number.
    pub psp_status: i16,
    /// "member", "staff:<id>", "system".
    pub initiated_by: String,
    /// Created.
    pub created_at_ms: i64,
}

/// Inserts the refund and its steps `(kind, mechanism, status, amount_fen, points)`.
pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    r: &NewRefund,
    steps: &[(i16, i16, i16, i64, i64)],
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO pay_refunds (tenant, id, refund_no, order_id, order_no, after_sale_id,
             payment_id, reason, status, cash_fen, shipping_fen, stored_value_fen, points,
             full_refund, psp_status, initiated_by, created_at_ms, updated_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10, $11, $12, $13, $14, $15, $16, $16)",
        [
            uuid(tenant.0),
            uuid(r.id),
            r.refund_no.clone().into(),
            uuid(r.order_id),
            r.order_no.clone().into(),
            opt_uuid(r.after_sale_id),
            opt_uuid(r.payment_id),
            r.reason.into(),
            r.cash_fen.into(),
            r.shipping_fen.into(),
            r.stored_value_fen.into(),
            r.points.into(),
            r.full_refund.into(),
            r.psp_status.into(),
            r.initiated_by.clone().into(),
            r.created_at_ms.into(),
        ],
    )
    .await?;
    for (kind, mechanism, status, amount, points) in steps {
        execute(
            conn,
            "INSERT INTO pay_refund_steps (tenant, refund_id, kind, mechanism, status, amount_fen,
                 points)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            [
                uuid(tenant.0),
                uuid(r.id),
                (*kind).into(),
                (*mechanism).into(),
                (*status).into(),
                (*amount).into(),
                (*points).into(),
            ],
        )
        .await?;
    }
    Ok(())
}
