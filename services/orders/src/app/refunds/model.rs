//! A refund as the service keeps it (`pay_refunds`) with its compensation steps
//! (`pay_refund_steps`).

use uuid::Uuid;

/// One compensation step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// `CompensationKind` number.
    pub kind: i16,
    /// `CompensationMechanism` number.
    pub mechanism: i16,
    /// `CompensationStatus` number.
    pub status: i16,
    /// Money concerned, fen.
    pub amount_fen: i64,
    /// Points concerned.
    pub points: i64,
    /// Attempts so far.
    pub attempts: i32,
    /// The last error reason.
    pub last_error: String,
    /// When it was done.
    pub completed_at_ms: Option<i64>,
}

/// A refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
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
    /// `RefundStatus` number.
    pub status: i16,
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
    /// WeChat's refund id, once accepted.
    pub psp_refund_id: String,
    /// Where the payer receives the money.
    pub psp_received_account: String,
    /// When the PSP reported success.
    pub psp_succeeded_at_ms: Option<i64>,
    /// "member", "staff:<id>", "system".
    pub initiated_by: String,
    /// Created.
    pub created_at_ms: i64,
    /// Became SUCCEEDED.
    pub succeeded_at_ms: Option<i64>,
    /// Last change.
    pub updated_at_ms: i64,
    /// The steps, in the order they run.
    pub steps: Vec<Step>,
}

impl Refund {
    /// Whether the cash part is back (or there was none).
    pub fn cash_settled(&self) -> bool {
        matches!(
            self.psp_status,
            super::psp::NOT_APPLICABLE | super::psp::SUCCESS
        )
    }
}
