//! The checkout record: one row per (tenant, idempotency key), written before the saga takes
//! anything and updated as it goes, so a retry, a concurrent duplicate or the recovery after a
//! crash each know exactly where the saga stands and what it holds.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where the checkout of one idempotency key stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckoutState {
    /// The saga runs (or its process died; the recovery finds it by its age).
    Running,
    /// The order was created: the key answers that order from now on.
    Created,
    /// The saga failed and gave back what it took; a retry starts over with a new order id.
    Failed,
}

impl CheckoutState {
    /// The stored number.
    pub fn number(self) -> i16 {
        match self {
            Self::Running => 1,
            Self::Created => 2,
            Self::Failed => 3,
        }
    }
}

impl TryFrom<i16> for CheckoutState {
    type Error = String;

    fn try_from(n: i16) -> Result<Self, String> {
        match n {
            1 => Ok(Self::Running),
            2 => Ok(Self::Created),
            3 => Ok(Self::Failed),
            _ => Err(format!("checkout state {n}")),
        }
    }
}

/// What the saga may hold remotely for its order, recorded before each call is made: a
/// release of something never taken is a no-op at the peer, so recording first errs on the
/// side of releasing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Taken {
    /// A stock reservation (catalog).
    #[serde(default)]
    pub stock: bool,
    /// Locked coupons (membership).
    #[serde(default)]
    pub coupons: bool,
    /// A points hold (membership).
    #[serde(default)]
    pub points: bool,
    /// A stored-value hold (membership).
    #[serde(default)]
    pub stored_value: bool,
    /// Not a hold: a paid plan bought with auto-renew on, which membership is told at
    /// activation. Kept here because the record is what the paid order's follow-up reads.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub plan_auto_renew: bool,
}

impl Taken {
    /// Whether anything may be held.
    pub fn any(self) -> bool {
        self.stock || self.coupons || self.points || self.stored_value
    }
}

/// One checkout record.
#[derive(Debug, Clone)]
pub struct CheckoutRecord {
    /// The caller's idempotency key.
    pub key: String,
    /// Hash of the request, so the same key with another request is refused.
    pub request_hash: String,
    /// The buyer.
    pub user_id: Uuid,
    /// The order id this attempt allocated (every remote call is keyed by it).
    pub order_id: Uuid,
    /// Where it stands.
    pub state: CheckoutState,
    /// What it may hold.
    pub taken: Taken,
    /// Why it failed, when it did.
    pub failure: String,
    /// When this attempt started.
    pub started_at_ms: i64,
}

/// What claiming a key found.
#[derive(Debug)]
pub enum Claim {
    /// This call runs the saga for `order_id` (a new key, or a failed one starting over).
    Run(CheckoutRecord),
    /// The key already created its order.
    Created(CheckoutRecord),
    /// Another call with the key is running the saga right now.
    InProgress,
}
