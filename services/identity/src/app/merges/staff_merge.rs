//! Staff merges (MergeUsers): customer service merges two users it found to be one person,
//! with the same keep-older merge as phone binding (`merge.rs`); phones are compared like any
//! single-valued kind. Idempotent by pair: a pair already merged (not reversed) answers that
//! merge, in either order.

use sea_orm::ConnectionTrait;

use siyu_core::TenantId;

use crate::app::merges::merge::{MergeSpec, Merged};
use crate::app::{Actor, App};
use crate::error::AppError;
use crate::repo::consumers::UserStatus;
use crate::repo::consumers::identities as identities_repo;
use crate::repo::merges::MergeReason;
use crate::repo::merges::reversals;

impl App {
    /// Merges users `a` and `b` by staff decision: the older is kept whatever the argument
    /// order. Merging a pair already merged (and not reversed) returns that merge.
    #[tracing::instrument(skip_all, fields(tenant))]
    pub async fn merge_users(
        &self,
        txn: &impl ConnectionTrait,
        tenant: TenantId,
        (a, b): (&str, &str),
        note: &str,
        actor: &Actor,
    ) -> Result<Merged, AppError> {
        let locked = identities_repo::lock_users(txn, tenant, &[a, b]).await?;
        let [x, y] = [a, b].map(|id| locked.iter().find(|u| u.id == id).cloned());
        let (Some(x), Some(y)) = (x, y) else {
            return Err(AppError::UserNotFound);
        };
        let (kept, merged) = if (x.created_at, &x.id) < (y.created_at, &y.id) {
            (x, y)
        } else {
            (y, x)
        };
        let pair_merged = merged.status == UserStatus::Merged
            && merged.merged_into.as_deref() == Some(kept.id.as_str());
        if pair_merged
            && let Some(record) =
                reversals::live_merge_of_pair(txn, tenant, &kept.id, &merged.id).await?
        {
            let moved =
                identities_repo::identities_by_ids(txn, tenant, &record.merge.moved).await?;
            return Ok(Merged {
                merge: record.merge,
                moved,
            });
        }
        for user in [&kept, &merged] {
            match user.status {
                UserStatus::Active => {}
                UserStatus::Merged => {
                    return Err(AppError::UserMerged {
                        kept_user_id: user.merged_into.clone().unwrap_or_default(),
                    });
                }
                UserStatus::Erased => return Err(AppError::UserErased),
                // A blocked user: merging would unblock or hide the block; unblock first.
                UserStatus::Blocked => return Err(AppError::MergeConflict),
            }
        }
        let label = format!("staff:{}", actor.id);
        let spec = MergeSpec {
            tenant,
            kept: &kept,
            merged: &merged,
            reason: MergeReason::Staff,
            actor: actor.pair(),
            actor_label: &label,
            drop_phones_of: None,
            note: Some(note),
        };
        Ok(self.merge_locked(txn, spec).await?.0)
    }
}
