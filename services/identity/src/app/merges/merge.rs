//! The merge of two users who turn out to be one person, shared by phone binding
//! (`merges/phone_merge.rs`) and the staff merge (`merges/staff_merge.rs`).
//!
//! Callers hold the row locks of both users (`repo::consumers::identities::lock_users`, id
//! order) and have checked both are ACTIVE; the older user is kept. The merge moves the merged
//! user's identities, marks it MERGED, records the merge — with every phone identity it
//! deleted, so a reversal can restore them — audits USERS_MERGED, publishes UsersMerged and
//! revokes the merged user's sessions, all in the caller's transaction.

use std::collections::BTreeMap;

use sea_orm::ConnectionTrait;

use siyu_core::TenantId;

use crate::app::App;
use crate::error::AppError;
use crate::repo::audit::AuditOutcome;
use crate::repo::audit::chain::{self as audit_repo, NewEntry};
use crate::repo::consumers::IdentityKind;
use crate::repo::consumers::identities::{self as identities_repo, LinkedIdentity};
use crate::repo::consumers::links;
use crate::repo::consumers::users::User;
use crate::repo::merges::MergeReason;
use crate::repo::merges::records::{self as repo, DroppedPhone, Merge};

/// A merge: the record and the identities it moved (a binding or a staff merge caused it).
#[derive(Debug, Clone)]
pub struct Merged {
    /// The merge.
    pub merge: Merge,
    /// The identities moved to the kept user.
    pub moved: Vec<LinkedIdentity>,
}

/// What to merge, why and for whom.
#[derive(Debug, Clone, Copy)]
pub struct MergeSpec<'a> {
    /// Tenant.
    pub tenant: TenantId,
    /// The older user, kept.
    pub kept: &'a User,
    /// The younger user, merged away.
    pub merged: &'a User,
    /// Why.
    pub reason: MergeReason,
    /// (kind, id) of the actor for audit entries.
    pub actor: (&'a str, &'a str),
    /// The actor as the merge record names it (`user:<id>`, `staff:<id>`).
    pub actor_label: &'a str,
    /// The user whose phone identities are deleted (a binding: the number being bound wins
    /// over the caller's previous one). None compares phones like any single-valued kind.
    pub drop_phones_of: Option<&'a str>,
    /// A free-text reason given by staff, kept in the audit entry.
    pub note: Option<&'a str>,
}

impl App {
    /// Merges `spec.merged` into `spec.kept` (see the module docs); returns the merge and the
    /// phone identities it deleted.
    pub async fn merge_locked(
        &self,
        txn: &impl ConnectionTrait,
        spec: MergeSpec<'_>,
    ) -> Result<(Merged, Vec<DroppedPhone>), AppError> {
        let (tenant, kept, merged) = (spec.tenant, spec.kept, spec.merged);
        let now = self.clock.now();
        let merged_ids = identities_repo::identities_of(txn, tenant, &merged.id).await?;
        let kept_ids = identities_repo::identities_of(txn, tenant, &kept.id).await?;
        check_mergeable(&kept_ids, &merged_ids, spec.drop_phones_of.is_none())?;
        let dropped: Vec<DroppedPhone> = kept_ids
            .iter()
            .chain(&merged_ids)
            .filter(|i| {
                i.kind == IdentityKind::Phone && Some(i.user_id.as_str()) == spec.drop_phones_of
            })
            .map(|i| DroppedPhone {
                id: i.id.clone(),
                user_id: i.user_id.clone(),
                value: i.value.clone(),
                created_at: i.created_at,
            })
            .collect();
        if let Some(user) = spec.drop_phones_of {
            identities_repo::unlink_phones(txn, tenant, user).await?;
        }
        let mut moved = Vec::new();
        for identity in merged_ids {
            if dropped.iter().any(|d| d.id == identity.id) {
                continue;
            }
            repo::move_identity(txn, tenant, &identity.id, &kept.id).await?;
            moved.push(identity);
        }
        if repo::mark_merged(txn, tenant, &merged.id, &kept.id, now).await? != 1 {
            return Err(AppError::Internal("merged user changed under lock".into()));
        }
        links::sync_phone(txn, tenant, &kept.id, now).await?;
        let merge = Merge {
            id: siyu_core::id::new_string(),
            tenant_id: tenant,
            kept_user_id: kept.id.clone(),
            merged_user_id: merged.id.clone(),
            moved: moved.iter().map(|i| i.id.clone()).collect(),
            reason: spec.reason,
            actor: spec.actor_label.to_owned(),
            created_at: crate::repo::micros(now),
            dropped: Some(dropped.clone()),
        };
        repo::insert_merge(txn, &merge).await?;
        let mut details = BTreeMap::new();
        details.insert("merge_id".to_owned(), merge.id.clone());
        details.insert("merged_user_id".to_owned(), merged.id.clone());
        details.insert("moved".to_owned(), moved.len().to_string());
        details.insert("dropped".to_owned(), dropped.len().to_string());
        if let Some(note) = spec.note {
            details.insert("reason".to_owned(), note.to_owned());
        }
        let entry = NewEntry {
            kind: "USERS_MERGED",
            outcome: AuditOutcome::Success,
            actor_kind: spec.actor.0.into(),
            actor_id: spec.actor.1.into(),
            target_kind: "user".into(),
            target_id: kept.id.clone(),
            details,
        };
        audit_repo::append(txn, tenant, entry, now).await?;
        let kinds = moved
            .iter()
            .map(|i| event_kind(i.kind).to_owned())
            .collect();
        crate::events::users_merged(txn, &merge, kinds).await?;
        self.revoke_subject_sessions(txn, tenant, spec.actor, &merged.id, None, "user_merged")
            .await?;
        Ok((Merged { merge, moved }, dropped))
    }
}

/// MERGE_CONFLICT when both users hold different identities of a single-valued kind in the
/// same scope (two openids of one app, two unionids, two card numbers): not one person.
/// Phones are compared only when no phone is being replaced (a binding's number wins).
fn check_mergeable(
    kept: &[LinkedIdentity],
    merged: &[LinkedIdentity],
    compare_phones: bool,
) -> Result<(), AppError> {
    let clash = merged.iter().any(|m| {
        (compare_phones || m.kind != IdentityKind::Phone)
            && kept
                .iter()
                .any(|k| k.kind == m.kind && k.scope == m.scope && k.value != m.value)
    });
    if clash {
        Err(AppError::MergeConflict)
    } else {
        Ok(())
    }
}

/// The event's spelling of an identity kind.
pub fn event_kind(kind: IdentityKind) -> &'static str {
    match kind {
        IdentityKind::Openid => "wechat_openid",
        IdentityKind::Unionid => "wechat_unionid",
        IdentityKind::Phone => "phone",
        IdentityKind::Wecom => "wecom_external_user_id",
        IdentityKind::Card => "member_card_no",
    }
}
