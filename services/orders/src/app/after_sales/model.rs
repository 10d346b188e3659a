//! An after-sale case as the service keeps it: columns for what is filtered and changes
//! (status, amounts, refund), the lines as rows, and the rest (evidence, decision, return
//! address and parcel) as one JSON value.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Refund only, or return and refund (`AfterSaleKind` numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// 仅退款.
    RefundOnly = 1,
    /// 退货退款.
    ReturnAndRefund = 2,
}

impl TryFrom<i16> for Kind {
    type Error = String;

    fn try_from(n: i16) -> Result<Self, String> {
        match n {
            1 => Ok(Self::RefundOnly),
            2 => Ok(Self::ReturnAndRefund),
            _ => Err(format!("after-sale kind {n}")),
        }
    }
}

/// Where a case is (`AfterSaleStatus` numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Waiting for review.
    Requested = 1,
    /// Approved; waiting for the goods.
    AwaitingReturn = 2,
    /// Goods sent back.
    ReturnShipped = 3,
    /// The refund runs.
    Refunding = 4,
    /// Refunded. Terminal.
    Refunded = 5,
    /// Rejected by staff. Terminal.
    Rejected = 6,
    /// Withdrawn by the consumer. Terminal.
    Cancelled = 7,
}

impl Status {
    /// Every status.
    pub const ALL: [Self; 7] = [
        Self::Requested,
        Self::AwaitingReturn,
        Self::ReturnShipped,
        Self::Refunding,
        Self::Refunded,
        Self::Rejected,
        Self::Cancelled,
    ];

    /// The stored number.
    pub fn number(self) -> i16 {
        self as i16
    }

    /// Whether the case still holds its units (not refunded, rejected or cancelled).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Self::Requested | Self::AwaitingReturn | Self::ReturnShipped | Self::Refunding
        )
    }
}

impl TryFrom<i16> for Status {
    type Error = String;

    fn try_from(n: i16) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|s| s.number() == n)
            .ok_or_else(|| format!("after-sale status {n}"))
    }
}

/// The open statuses, as stored numbers (for SQL).
pub const OPEN: [i16; 4] = [1, 2, 3, 4];

/// One line of a case and what it refunds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseLine {
    /// The order line.
    pub order_line_id: Uuid,
    /// Its position on the order.
    pub line_no: i32,
    /// Units.
    pub quantity: i32,
    /// Cash back, fen.
    pub cash_fen: i64,
    /// Stored value back, fen.
    pub stored_value_fen: i64,
    /// Points back.
    pub points: i64,
}

/// A staff or system decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// `ActorKind` number.
    pub actor: i16,
    /// Staff id or empty.
    #[serde(default)]
    pub actor_id: String,
    /// Note for the consumer.
    #[serde(default)]
    pub note: String,
    /// When.
    pub at_ms: i64,
}

/// The return parcel.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Parcel {
    /// Carrier code.
    pub carrier_code: String,
    /// Carrier name.
    #[serde(default)]
    pub carrier_name: String,
    /// Tracking number.
    pub tracking_no: String,
    /// Submitted.
    pub submitted_at_ms: i64,
    /// Received by staff.
    #[serde(default)]
    pub received_at_ms: Option<i64>,
    /// Who received it.
    #[serde(default)]
    pub received_by: String,
    /// Whether the goods went back to stock.
    #[serde(default)]
    pub restocked: bool,
}

/// What a case keeps as JSON.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Extra {
    /// Evidence photo URLs.
    #[serde(default)]
    pub evidence: Vec<String>,
    /// The approval or rejection.
    #[serde(default)]
    pub decision: Option<Decision>,
    /// Where to send the goods (the contract's `Address`, base64 of its encoding).
    #[serde(default)]
    pub return_address: String,
    /// The return parcel.
    #[serde(default)]
    pub parcel: Option<Parcel>,
    /// Whether the refunded goods go back to stock.
    #[serde(default)]
    pub restock: bool,
}

/// An after-sale case.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// The case id.
    pub id: Uuid,
    /// 20 digits.
    pub after_sale_no: String,
    /// The order.
    pub order_id: Uuid,
    /// The consumer.
    pub user_id: Uuid,
    /// The order's store.
    pub store_id: Option<Uuid>,
    /// Kind.
    pub kind: Kind,
    /// Status.
    pub status: Status,
    /// `AfterSaleReason` number.
    pub reason: i16,
    /// The consumer's words.
    pub description: String,
    /// The amount asked for when below the maximum, fen.
    pub requested_fen: Option<i64>,
    /// Shipping refunded with the case, fen.
    pub shipping_refund_fen: i64,
    /// Σ lines (cash + stored value) + shipping, fen.
    pub refund_fen: i64,
    /// Σ lines points.
    pub refund_points: i64,
    /// Whether it refunds everything left on the order.
    pub full_refund: bool,
    /// `ActorKind` number of who opened it.
    pub opened_by_kind: i16,
    /// Staff id when staff opened it.
    pub opened_by_id: String,
    /// The refund, once approved.
    pub refund_id: Option<Uuid>,
    /// Why the refund needs attention, if it does.
    pub refund_issue: String,
    /// JSON part.
    pub extra: Extra,
    /// The lines.
    pub lines: Vec<CaseLine>,
    /// Opened.
    pub created_at_ms: i64,
    /// Last change.
    pub updated_at_ms: i64,
    /// Terminal since.
    pub closed_at_ms: Option<i64>,
}

impl Case {
    /// Cash of the case: lines plus shipping, fen.
    pub fn cash_fen(&self) -> i64 {
        self.lines.iter().map(|l| l.cash_fen).sum::<i64>() + self.shipping_refund_fen
    }

    /// Stored value of the case, fen.
    pub fn stored_value_fen(&self) -> i64 {
        self.lines.iter().map(|l| l.stored_value_fen).sum()
    }
}
