//! Phone binding (BindPhoneWithWeChat, BindPhoneWithOtp): the verified number is linked to the
//! caller, or, when another user holds it, the two users are merged (`merges/phone_merge.rs`).
//!
//! Concurrency: the phone identity is unique per (tenant, 'PHONE', '', value), and every change
//! of a user's identities happens under that user's row lock (`SELECT … FOR UPDATE`, taken in id
//! order so two binders never deadlock). A bind reads the phone's owner, locks caller + owner,
//! re-reads the owner and retries when it changed; a lost insert race (unique violation) also
//! retries. The loser of a merge race finds itself MERGED (USER_MERGED) or the phone already
//! its own (no-op), so there is exactly one merge per pair and a phone has one owner.

use siyu_core::TenantId;

use crate::app::merges::merge::Merged;
use crate::app::merges::phone_merge::PhoneMerge;
use crate::app::tokens::sessions::{Issued, NewSession};
use crate::app::{App, ClientInfo};
use crate::error::AppError;
use crate::repo::audit::AuditOutcome;
use crate::repo::audit::chain::{self as audit_repo, NewEntry};
use crate::repo::consumers::identities as identities_repo;
use crate::repo::consumers::users::{self as users_repo, User};
use crate::repo::consumers::{IdentityKind, UserStatus};
use crate::repo::tokens::SubjectKind;

/// The outcome of a phone binding.
#[derive(Debug, Clone)]
pub struct Binding {
    /// The user now owning the phone (the kept user after a merge).
    pub user: User,
    /// The merge, when binding merged two users.
    pub merge: Option<Merged>,
    /// Fresh tokens for the kept user when the caller's user was merged away.
    pub issued: Option<Issued>,
}

/// How a binding was verified and for whom.
#[derive(Debug, Clone, Copy)]
pub struct BindRequest<'a> {
    /// Tenant.
    pub tenant: TenantId,
    /// The caller's user id.
    pub user_id: &'a str,
    /// The verified number, E.164.
    pub phone: &'a str,
    /// `wechat_phone_code` or `otp`.
    pub method: &'static str,
    /// App of the caller's session (for a new session after a merge).
    pub app_id: &'a str,
    /// Client.
    pub client: &'a ClientInfo,
}

impl App {
    /// Binds `req.phone` to the caller, merging with its current owner when there is one.
    #[tracing::instrument(skip_all, fields(tenant = %req.tenant, user = req.user_id))]
    pub async fn bind_phone(&self, req: BindRequest<'_>) -> Result<Binding, AppError> {
        for _ in 0..8 {
            if let Some(done) = self.try_bind(req).await? {
                return Ok(done);
            }
        }
        Err(AppError::ConcurrentModification)
    }

    /// One attempt; `None` when a concurrent binder changed the phone's owner (retry).
    async fn try_bind(&self, req: BindRequest<'_>) -> Result<Option<Binding>, AppError> {
        let (tenant, phone) = (req.tenant, req.phone);
        let now = self.clock.now();
        let txn = siyu_store::db::begin_write(&self.db).await?;
        let seen = identities_repo::phone_owner(&txn, tenant, phone).await?;
        let mut ids = vec![req.user_id];
        ids.extend(seen.as_deref());
        let locked = identities_repo::lock_users(&txn, tenant, &ids).await?;
        let caller = locked
            .iter()
            .find(|u| u.id == req.user_id)
            .cloned()
            .ok_or(AppError::UserNotFound)?;
        match caller.status {
            UserStatus::Active => {}
            UserStatus::Merged => {
                return Err(AppError::UserMerged {
                    kept_user_id: caller.merged_into.unwrap_or_default(),
                });
            }
            UserStatus::Erased => return Err(AppError::UserErased),
            UserStatus::Blocked => return Err(AppError::UserBlocked),
        }
        let owner = identities_repo::phone_owner(&txn, tenant, phone).await?;
        if owner != seen {
            txn.rollback().await?;
            return Ok(None);
        }
        let actor = ("consumer", req.user_id);
        let Some(owner) = owner else {
            let replaced = identities_repo::unlink_phones(&txn, tenant, &caller.id).await? > 0;
            if let Err(err) = users_repo::link(
                &txn,
                tenant,
                &caller.id,
                IdentityKind::Phone,
                "",
                phone,
                now,
            )
            .await
            {
                if crate::repo::is_unique_violation(&err) {
                    txn.rollback().await?;
                    return Ok(None);
                }
                return Err(err);
            }
            identities_repo::set_phone(&txn, tenant, &caller.id, Some(phone), now).await?;
            self.phone_bound(&txn, &req, &caller.id, replaced, actor)
                .await?;
            txn.commit().await?;
            let user = User {
                phone: Some(phone.to_owned()),
                updated_at: now,
                ..caller
            };
            return Ok(Some(Binding {
                user,
                merge: None,
                issued: None,
            }));
        };
        if owner == caller.id {
            txn.commit().await?;
            return Ok(Some(Binding {
                user: caller,
                merge: None,
                issued: None,
            }));
        }
        let other = locked
            .iter()
            .find(|u| u.id == owner)
            .cloned()
            .ok_or_else(|| AppError::Internal("phone owner vanished under lock".into()))?;
        let PhoneMerge {
            kept,
            merged,
            merge,
            dropped,
        } = self.merge_for_phone(&txn, tenant, caller, other).await?;
        let replaced = kept.id == req.user_id && !dropped.is_empty();
        self.phone_bound(&txn, &req, &kept.id, replaced, actor)
            .await?;
        let issued = if merged.id == req.user_id {
            let session = NewSession {
                tenant,
                kind: SubjectKind::Consumer,
                subject: &kept.id,
                login_method: "merge",
                app_id: req.app_id,
                client: req.client,
            };
            Some(self.start_session(&txn, session).await?)
        } else {
            None
        };
        txn.commit().await?;
        let user = User {
            phone: Some(phone.to_owned()),
            updated_at: now,
            ..kept
        };
        Ok(Some(Binding {
            user,
            merge: Some(merge),
            issued,
        }))
    }

    /// Audits PHONE_BOUND and publishes UserPhoneBound.
    async fn phone_bound(
        &self,
        txn: &impl sea_orm::ConnectionTrait,
        req: &BindRequest<'_>,
        user_id: &str,
        replaced: bool,
        actor: (&str, &str),
    ) -> Result<(), AppError> {
        let now = self.clock.now();
        let details = [("method".to_owned(), req.method.to_owned())]
            .into_iter()
            .collect();
        audit_repo::append(
            txn,
            req.tenant,
            NewEntry {
                kind: "PHONE_BOUND",
                outcome: AuditOutcome::Success,
                actor_kind: actor.0.into(),
                actor_id: actor.1.into(),
                target_kind: "user".into(),
                target_id: user_id.to_owned(),
                details,
            },
            now,
        )
        .await?;
        let payload = siyu_proto::events::v1::UserPhoneBound {
            user_id: user_id.to_owned(),
            phone: req.phone.to_owned(),
            replaced_previous: replaced,
            method: req.method.to_owned(),
            bound_at: Some(siyu_proto::time::timestamp(now)),
        };
        crate::events::user_phone_bound(txn, req.tenant, payload, now).await
    }
}
