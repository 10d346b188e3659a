//! Reversal of a merge (ReverseUserMerge).
//!
//! A merge record keeps the ids of the identities it moved and every phone identity it deleted
//! (`dropped`: a binding's number replaces the caller's previous one). A reversal, under the
//! merge row lock and both users' row locks, moves back the moved identities the kept user
//! still holds, restores the dropped phones with their ids and link times, makes the merged user
//! ACTIVE again and marks the record reversed. It answers MERGE_NOT_REVERSIBLE rather than
//! leaving a user with the wrong identities: a record from before `dropped` existed, a user
//! merged again or erased since, a dropped number owned by someone now, or a user holding
//! another number now.

use std::collections::BTreeMap;

use sea_orm::ConnectionTrait;

use siyu_core::TenantId;

use crate::app::audit::append::entry;
use crate::app::{Actor, App};
use crate::error::AppError;
use crate::repo::consumers::identities::{self as identities_repo, LinkedIdentity};
use crate::repo::consumers::links;
use crate::repo::consumers::{IdentityKind, UserStatus};
use crate::repo::merges::records::{self as repo, DroppedPhone, MergeRecord};
use crate::repo::merges::reversals;

impl App {
    /// Reverses merge `merge_id` (see the module docs); returns the record as reversed and the
    /// identities moved back.
    #[tracing::instrument(skip_all, fields(tenant, merge = merge_id))]
    pub async fn reverse_merge(
        &self,
        txn: &impl ConnectionTrait,
        tenant: TenantId,
        merge_id: &str,
        note: &str,
        actor: &Actor,
    ) -> Result<(MergeRecord, Vec<LinkedIdentity>), AppError> {
        let now = self.clock.now();
        let mut record = reversals::lock_merge(txn, tenant, merge_id)
            .await?
            .ok_or(AppError::MergeNotFound)?;
        if record.reversed_at.is_some() {
            return Err(AppError::MergeAlreadyReversed);
        }
        let not_reversible = || AppError::MergeNotReversible;
        let dropped: Vec<DroppedPhone> = match &record.merge.dropped {
            None => return Err(not_reversible()),
            Some(dropped) => dropped.clone(),
        };
        let (kept_id, merged_id) = (&record.merge.kept_user_id, &record.merge.merged_user_id);
        let locked = identities_repo::lock_users(txn, tenant, &[kept_id, merged_id]).await?;
        let kept = locked.iter().find(|u| &u.id == kept_id);
        let merged = locked.iter().find(|u| &u.id == merged_id);
        let kept_live =
            kept.is_some_and(|u| matches!(u.status, UserStatus::Active | UserStatus::Blocked));
        let still_merged = merged.is_some_and(|u| {
            u.status == UserStatus::Merged && u.merged_into.as_deref() == Some(kept_id.as_str())
        });
        if !kept_live || !still_merged {
            return Err(not_reversible());
        }
        let mut moved_back = Vec::new();
        for identity in identities_repo::identities_by_ids(txn, tenant, &record.merge.moved).await?
        {
            // One unlinked or moved on since stays where it is.
            if &identity.user_id == kept_id {
                repo::move_identity(txn, tenant, &identity.id, merged_id).await?;
                moved_back.push(LinkedIdentity {
                    user_id: merged_id.clone(),
                    ..identity
                });
            }
        }
        for phone in &dropped {
            let taken = links::find(txn, tenant, IdentityKind::Phone, "", &phone.value).await?;
            let holds_other =
                reversals::count_kind(txn, tenant, &phone.user_id, IdentityKind::Phone).await?;
            if taken.is_some() || holds_other > 0 {
                return Err(not_reversible());
            }
            let row = LinkedIdentity {
                id: phone.id.clone(),
                user_id: phone.user_id.clone(),
                kind: IdentityKind::Phone,
                scope: String::new(),
                value: phone.value.clone(),
                created_at: phone.created_at,
            };
            if let Err(err) = links::insert(txn, tenant, &row, "merge_reversal").await {
                // A concurrent bind of the number committed first.
                if crate::repo::is_unique_violation(&err) {
                    return Err(not_reversible());
                }
                return Err(err);
            }
        }
        for user in [kept_id, merged_id] {
            if reversals::count_kind(txn, tenant, user, IdentityKind::Phone).await? > 1 {
                return Err(not_reversible());
            }
            links::sync_phone(txn, tenant, user, now).await?;
        }
        if reversals::reactivate(txn, tenant, merged_id, kept_id, now).await? != 1 {
            return Err(not_reversible());
        }
        let by = format!("staff:{}", actor.id);
        if reversals::mark_reversed(txn, tenant, merge_id, &by, now).await? != 1 {
            return Err(AppError::MergeAlreadyReversed);
        }
        for user in [kept_id, merged_id] {
            self.revoke_subject_sessions(txn, tenant, actor.pair(), user, None, "merge_reversed")
                .await?;
        }
        let mut details = BTreeMap::new();
        details.insert("merge_id".to_owned(), merge_id.to_owned());
        details.insert("kept_user_id".to_owned(), kept_id.clone());
        details.insert("moved_back".to_owned(), moved_back.len().to_string());
        details.insert("restored".to_owned(), dropped.len().to_string());
        details.insert("reason".to_owned(), note.to_owned());
        let audit = entry("MERGE_REVERSED", actor, merged_id, details);
        crate::repo::audit::chain::append(txn, tenant, audit, now).await?;
        let payload = siyu_proto::events::v1::UsersMergeReversed {
            merge_id: merge_id.to_owned(),
            kept_user_id: kept_id.clone(),
            merged_user_id: merged_id.clone(),
            reversed_by_staff_id: actor.id.clone(),
            reversed_at: Some(siyu_proto::time::timestamp(now)),
        };
        crate::events::users_merge_reversed(txn, tenant, payload, now).await?;
        record.reversed_at = Some(crate::repo::micros(now));
        record.reversed_by = Some(by);
        Ok((record, moved_back))
    }
}
