//! The merge a phone binding causes: the number being bound belongs to another user, so the
//! two are one person. The older user is kept, and the number being bound wins over the
//! caller's previous one. It runs in the binding's transaction, under the row locks of both
//! users that `consumers/phone_bind.rs` took.

use sea_orm::ConnectionTrait;

use siyu_core::TenantId;

use crate::app::App;
use crate::app::merges::merge::{MergeSpec, Merged};
use crate::error::AppError;
use crate::repo::consumers::UserStatus;
use crate::repo::consumers::users::User;
use crate::repo::merges::MergeReason;
use crate::repo::merges::records::DroppedPhone;

/// What a phone merge did.
#[derive(Debug, Clone)]
pub struct PhoneMerge {
    /// The user kept (the older one).
    pub kept: User,
    /// The user merged away.
    pub merged: User,
    /// The merge record and the identities it moved.
    pub merge: Merged,
    /// The phone identities the merge deleted.
    pub dropped: Vec<DroppedPhone>,
}

impl App {
    /// Merges the binding `caller` and the phone's current `owner`, whose row locks the caller
    /// holds; MERGE_CONFLICT when the owner is not ACTIVE (customer service decides then).
    pub async fn merge_for_phone(
        &self,
        txn: &impl ConnectionTrait,
        tenant: TenantId,
        caller: User,
        owner: User,
    ) -> Result<PhoneMerge, AppError> {
        if owner.status != UserStatus::Active {
            // A blocked owner: merging would unblock or hide it; customer service decides.
            return Err(AppError::MergeConflict);
        }
        let caller_id = caller.id.clone();
        let (kept, merged) = if (owner.created_at, &owner.id) < (caller.created_at, &caller.id) {
            (owner, caller)
        } else {
            (caller, owner)
        };
        let actor_label = format!("user:{caller_id}");
        let spec = MergeSpec {
            tenant,
            kept: &kept,
            merged: &merged,
            reason: MergeReason::PhoneBind,
            actor: ("consumer", &caller_id),
            actor_label: &actor_label,
            // The number being bound wins: the caller's previous number (whichever side it is
            // on) is unlinked, the bound one ends on the kept user.
            drop_phones_of: Some(&caller_id),
            note: None,
        };
        let (merge, dropped) = self.merge_locked(txn, spec).await?;
        Ok(PhoneMerge {
            kept,
            merged,
            merge,
            dropped,
        })
    }
}
