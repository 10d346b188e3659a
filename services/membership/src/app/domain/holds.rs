//! Checkout holds of points and stored value: what an order took from a member until it is
//! paid (captured) or cancelled (released).

use uuid::Uuid;

use super::{MemberId, stored_enum};

stored_enum! {
    /// Points or stored value (`HoldKind`).
    HoldKind {
        /// Points.
        Points = 1,
        /// Stored value.
        StoredValue = 2,
    }
}

impl HoldKind {
    /// The word used in business keys.
    pub fn key_word(self) -> &'static str {
        match self {
            Self::Points => "points",
            Self::StoredValue => "stored_value",
        }
    }
}

stored_enum! {
    /// The state of a hold (`HoldStatus`).
    HoldStatus {
        /// Waiting for payment.
        Held = 1,
        /// Consumed.
        Captured = 2,
        /// Returned.
        Released = 3,
    }
}

/// A hold of points or stored value for an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    /// Hold id.
    pub id: Uuid,
    /// The order.
    pub order_id: Uuid,
    /// Points or stored value.
    pub kind: HoldKind,
    /// 1 at checkout, +1 per revival.
    pub attempt: i32,
    /// The member.
    pub member_id: MemberId,
    /// State.
    pub status: HoldStatus,
    /// Points held (POINTS).
    pub points: i64,
    /// Fen held (STORED_VALUE).
    pub amount: i64,
    /// Principal part of `amount`.
    pub principal_part: i64,
    /// Bonus part of `amount`.
    pub bonus_part: i64,
    /// Points refunded after capture.
    pub refunded_points: i64,
    /// Fen refunded after capture.
    pub refunded_amount: i64,
    /// Bonus part of `refunded_amount`.
    pub refunded_bonus: i64,
    /// Why released.
    pub release_reason: String,
    /// When held.
    pub created_at_ms: i64,
    /// When captured or released.
    pub settled_at_ms: Option<i64>,
}

impl Hold {
    /// The business key of this hold's HOLD entry.
    pub fn key(&self) -> String {
        hold_key(self.kind, self.order_id, self.attempt)
    }
}

/// "hold:<kind>:<order_id>" for attempt 1, "hold:<kind>:<order_id>:<attempt>" after.
pub fn hold_key(kind: HoldKind, order_id: Uuid, attempt: i32) -> String {
    if attempt <= 1 {
        format!("hold:{}:{order_id}", kind.key_word())
    } else {
        format!("hold:{}:{order_id}:{attempt}", kind.key_word())
    }
}
