//! An order as the service keeps it. What changes over its life (status, amounts paid and
//! refunded, deadlines, pickup code, per-line refund counters, the timeline) are columns and
//! rows; what checkout priced — lines with their allocations, the breakdown, fulfilment,
//! attribution — is an immutable snapshot in the contract's own encoding (protobuf `Order`
//! and `PricedLine`, whose field numbers are never reused), so a read answers exactly what was
//! priced without a second model of the receipt.

use uuid::Uuid;

use super::status::OrderStatus;

/// What was bought (`siyu.orders.v1.OrderKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderKind {
    /// Goods.
    Goods,
    /// A stored-value top-up plan.
    StoredValueTopUp,
    /// A paid-membership plan.
    PaidMembership,
}

impl OrderKind {
    /// The contract's enum number.
    pub fn number(self) -> i16 {
        match self {
            Self::Goods => 1,
            Self::StoredValueTopUp => 2,
            Self::PaidMembership => 3,
        }
    }
}

impl TryFrom<i16> for OrderKind {
    type Error = String;

    fn try_from(n: i16) -> Result<Self, String> {
        match n {
            1 => Ok(Self::Goods),
            2 => Ok(Self::StoredValueTopUp),
            3 => Ok(Self::PaidMembership),
            _ => Err(format!("order kind {n}")),
        }
    }
}

/// Who caused a timeline entry (`siyu.orders.v1.ActorKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorKind {
    /// The member (consumer).
    Member,
    /// A staff member.
    Staff,
    /// A partner system.
    Partner,
    /// The service itself (jobs).
    System,
    /// The payment provider.
    Psp,
}

impl ActorKind {
    /// The contract's enum number.
    pub fn number(self) -> i16 {
        match self {
            Self::Member => 1,
            Self::Staff => 2,
            Self::Partner => 3,
            Self::System => 4,
            Self::Psp => 5,
        }
    }
}

/// A timeline entry's kind: the number of `siyu.orders.v1.TimelineEntryKind`.
pub mod timeline_kind {
    /// The order was created.
    pub const CREATED: i16 = 1;
    /// A payment attempt was created.
    pub const PAYMENT_CREATED: i16 = 2;
    /// The order was paid.
    pub const PAID: i16 = 3;
    /// Staff started preparing.
    pub const PREPARING: i16 = 4;
    /// Shipped.
    pub const SHIPPED: i16 = 5;
    /// Ready for pickup.
    pub const READY_FOR_PICKUP: i16 = 6;
    /// The pickup code was verified.
    pub const PICKED_UP: i16 = 7;
    /// Completed.
    pub const COMPLETED: i16 = 8;
    /// The order was cancelled.
    pub const CANCELLED: i16 = 9;
    /// A late payment revived the cancelled order.
    pub const REVIVED: i16 = 10;
    /// A late payment was refunded; the order stays cancelled.
    pub const LATE_PAYMENT_REFUNDED: i16 = 11;
    /// Carrier or tracking number corrected.
    pub const SHIPMENT_UPDATED: i16 = 18;
    /// Settled.
    pub const SETTLED: i16 = 19;
}

/// One entry of an order's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineEntry {
    /// [`timeline_kind`] number.
    pub kind: i16,
    /// Status before.
    pub from: OrderStatus,
    /// Status after.
    pub to: OrderStatus,
    /// Who.
    pub actor: ActorKind,
    /// Their id (user, staff, partner client; empty for the system).
    pub actor_id: String,
    /// A related id (payment, refund, after-sale).
    pub reference_id: String,
    /// Free text.
    pub note: String,
    /// When.
    pub occurred_at_ms: i64,
}

/// Why, by whom and when an order was cancelled.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Cancellation {
    /// `siyu.orders.v1.CancelReason` number.
    pub reason: i16,
    /// Free text.
    #[serde(default)]
    pub note: String,
    /// [`ActorKind`] number.
    pub actor: i16,
    /// The actor's id (empty for the system).
    #[serde(default)]
    pub actor_id: String,
    /// When.
    pub at_ms: i64,
    /// The refund of a paid order's cancellation.
    #[serde(default)]
    pub refund_id: String,
}

/// `siyu.orders.v1.CancelReason` numbers.
pub mod cancel_reason {
    /// The member asked.
    pub const MEMBER_REQUESTED: i16 = 1;
    /// Not paid in time.
    pub const PAYMENT_TIMEOUT: i16 = 2;
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    /// The line id.
    pub id: Uuid,
    /// Position in the order, from 0.
    pub line_no: i32,
    /// The SKU (none for a plan line).
    pub sku_id: Option<Uuid>,
    /// Quantity bought.
    pub quantity: i32,
    /// Where the stock was reserved.
    pub location_id: String,
    /// The line's net amount (its refund cap), fen.
    pub net_fen: i64,
    /// Units refunded.
    pub refunded_quantity: i32,
    /// Units in an open after-sale case.
    pub in_after_sale_quantity: i32,
    /// Amount refunded on the line, fen.
    pub refunded_fen: i64,
    /// Points given back on the line.
    pub refunded_points: i64,
    /// The priced line as checkout priced it (protobuf `PricedLine`).
    pub priced: Vec<u8>,
}

/// An order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// The order id.
    pub id: Uuid,
    /// The human order number, also the PSP's `out_trade_no`.
    pub order_no: String,
    /// Goods or a plan.
    pub kind: OrderKind,
    /// The buyer.
    pub user_id: Uuid,
    /// The buyer's member id, when enrolled.
    pub member_id: Option<Uuid>,
    /// The store that fulfils it (or the delivery store).
    pub store_id: Option<Uuid>,
    /// Where it stands.
    pub status: OrderStatus,
    /// After-sales state number (`OrderAfterSaleState`).
    pub after_sale_state: i16,
    /// What the PSP collects, fen.
    pub payable_fen: i64,
    /// Collected, fen.
    pub paid_fen: i64,
    /// Refunded, fen.
    pub refunded_fen: i64,
    /// The pickup code, once ready for pickup.
    pub pickup_code: Option<String>,
    /// Shipment and pickup details, once shipped or ready.
    pub fulfilment: super::fulfilment::Fulfilment,
    /// Pay by then, or it is cancelled.
    pub payment_deadline_ms: Option<i64>,
    /// When it was paid.
    pub paid_at_ms: Option<i64>,
    /// When it completes by itself.
    pub auto_complete_at_ms: Option<i64>,
    /// When it completed.
    pub completed_at_ms: Option<i64>,
    /// When the after-sales window closes.
    pub after_sale_deadline_ms: Option<i64>,
    /// When it was settled.
    pub settled_at_ms: Option<i64>,
    /// Why it was cancelled, once it was.
    pub cancellation: Option<Cancellation>,
    /// The priced snapshot (protobuf `Order` without lines and mutable fields).
    pub snapshot: Vec<u8>,
    /// Optimistic version, bumped by every change.
    pub version: i64,
    /// Created.
    pub created_at_ms: i64,
    /// Last change.
    pub updated_at_ms: i64,
    /// The lines, in order.
    pub lines: Vec<OrderLine>,
    /// The timeline, oldest first.
    pub timeline: Vec<TimelineEntry>,
}
