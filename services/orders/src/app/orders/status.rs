//! The order state machine: which status may follow which, and what each transition is called
//! on the timeline. Every status change goes through [`OrderStatus::may_become`], so an illegal
//! transition is refused in one place.

/// Where an order stands (`siyu.orders.v1.OrderStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum OrderStatus {
    /// Created, waiting for its payment (or for the stored-value capture).
    PendingPayment,
    /// Paid; not yet being prepared.
    Paid,
    /// The store is preparing it.
    Preparing,
    /// Handed to a carrier or rider.
    Shipped,
    /// Waiting at the store with a pickup code.
    ReadyForPickup,
    /// Received or picked up.
    Completed,
    /// Cancelled before completion (member, staff, timeout, out of stock).
    Cancelled,
    /// Fully refunded after payment.
    Closed,
}

impl OrderStatus {
    /// Every status, in contract order.
    pub const ALL: [Self; 8] = [
        Self::PendingPayment,
        Self::Paid,
        Self::Preparing,
        Self::Shipped,
        Self::ReadyForPickup,
        Self::Completed,
        Self::Cancelled,
        Self::Closed,
    ];

    /// The contract's enum number.
    pub fn number(self) -> i16 {
        match self {
            Self::PendingPayment => 1,
            Self::Paid => 2,
            Self::Preparing => 3,
            Self::Shipped => 4,
            Self::ReadyForPickup => 5,
            Self::Completed => 6,
            Self::Cancelled => 7,
            Self::Closed => 8,
        }
    }

    /// Whether an order in `self` may move to `to`. Cancelling is possible until the goods left
    /// the store (a paid order is cancelled with a refund); a cancelled order comes back to
    /// PAID only when a late payment revives it; any paid order may close by a full refund.
    pub fn may_become(self, to: Self) -> bool {
        use OrderStatus as S;
        matches!(
            (self, to),
            (S::PendingPayment, S::Paid | S::Cancelled)
                | (
                    S::Paid,
                    S::Preparing | S::Shipped | S::ReadyForPickup | S::Completed
                )
                | (S::Paid | S::Preparing, S::Cancelled)
                | (S::Preparing, S::Shipped | S::ReadyForPickup)
                | (S::Shipped | S::ReadyForPickup, S::Completed)
                | (S::ReadyForPickup, S::Cancelled)
                | (S::Cancelled, S::Paid)
                | (
                    S::Paid | S::Preparing | S::Shipped | S::ReadyForPickup | S::Completed,
                    S::Closed
                )
        )
    }

    /// Whether the order has been paid and not (yet) given back in full.
    pub fn is_paid(self) -> bool {
        matches!(
            self,
            Self::Paid | Self::Preparing | Self::Shipped | Self::ReadyForPickup | Self::Completed
        )
    }
}

impl TryFrom<i16> for OrderStatus {
    type Error = String;

    fn try_from(n: i16) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|s| s.number() == n)
            .ok_or_else(|| format!("order status {n}"))
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus as S;

    #[test]
    fn numbers_round_trip() {
        for s in S::ALL {
            assert_eq!(S::try_from(s.number()), Ok(s));
        }
        assert!(S::try_from(0).is_err());
    }

    #[test]
    fn an_unpaid_order_is_paid_or_cancelled_only() {
        let allowed: Vec<_> = S::ALL
            .into_iter()
            .filter(|to| S::PendingPayment.may_become(*to))
            .collect();
        assert_eq!(allowed, [S::Paid, S::Cancelled]);
    }

    #[test]
    fn nothing_leaves_closed_and_completed_only_closes() {
        assert!(S::ALL.into_iter().all(|to| !S::Closed.may_become(to)));
        let from_completed: Vec<_> = S::ALL
            .into_iter()
            .filter(|to| S::Completed.may_become(*to))
            .collect();
        assert_eq!(from_completed, [S::Closed]);
    }

    #[test]
    fn shipped_goods_cannot_be_cancelled() {
        assert!(!S::Shipped.may_become(S::Cancelled));
        assert!(S::ReadyForPickup.may_become(S::Cancelled));
        assert!(!S::Shipped.may_become(S::PendingPayment));
    }
}
