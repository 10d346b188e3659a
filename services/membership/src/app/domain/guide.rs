//! The guide relationship's policy and reasons (专属导购): why a binding ended, what a tenant
//! does with a departed guide's members.

use super::stored_enum;

stored_enum! {
    /// Why a guide relationship ended (`GuideUnbindReason`).
    UnbindReason {
        /// Replaced by a newer binding to another guide.
        Replaced = 1,
        /// The guide left (离职继承).
        GuideResigned = 2,
        /// The guide moved while employed (在职转移).
        GuideTransferred = 3,
        /// Staff removed it without a successor.
        StaffRemoved = 4,
        /// The member was closed.
        MemberClosed = 5,
    }
}

stored_enum! {
    /// What happens to a disabled guide's members (离职继承), per tenant.
    Succession {
        /// The members stay with their store: the binding closes, the home store keeps them
        /// until staff reassign them.
        Store = 1,
        /// The members go round-robin (card-number order) to the other active guides currently
        /// serving members of the same store; with none there, they stay with the store.
        StoreGuides = 2,
    }
}

/// A tenant's guide policy; the default until a tenant sets one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuidePolicy {
    /// A consumer's scan of another guide replaces a current active guide.
    pub latest_scan_wins: bool,
    /// What a disabled guide's members get.
    pub succession: Succession,
    /// When the tenant last set it (ms); `None` while the default applies.
    pub updated_at_ms: Option<i64>,
}

impl Default for GuidePolicy {
    fn default() -> Self {
        Self {
            latest_scan_wins: false,
            succession: Succession::Store,
            updated_at_ms: None,
        }
    }
}
