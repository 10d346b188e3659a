//! Account erasure (注销, PIPL/GDPR): EraseUser.
//!
//! One transaction under the user's row lock removes every linked identity, the phone and the
//! profile, keeps consent records only as anonymous facts, drops session client details and
//! the OTPs sent to the user's numbers, purges the user's data exports, revokes every session
//! (+ revocation feed rows), records the erasure, audits USER_ERASED and enqueues UserErased.
//! Profile updates and phone binds take the same lock and refuse an ERASED user, so no PII can
//! land on it afterwards. Tombstones of users merged into the erased one lose their profile too.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use siyu_core::TenantId;

use crate::app::{Actor, App};
use crate::error::AppError;
use crate::repo::audit::AuditOutcome;
use crate::repo::audit::chain::{self as audit_repo, NewEntry};
use crate::repo::consumers::identities as identities_repo;
use crate::repo::consumers::{IdentityKind, OtpPurpose, UserStatus};
use crate::repo::privacy::erasure as repo;
use crate::repo::privacy::exports as exports_repo;
use crate::repo::tenancy::AppKind;
use crate::wechat::WeChatError;

/// An erasure to carry out.
#[derive(Debug, Clone, Copy)]
pub struct Erasure<'a> {
    /// Tenant.
    pub tenant: TenantId,
    /// The user.
    pub user_id: &'a str,
    /// `self` or `staff` (UserErased.requested_by).
    pub requested_by: &'static str,
    /// Who acts.
    pub actor: &'a Actor,
    /// Why (staff; '' for the consumer).
    pub reason: &'a str,
}

/// The outcome of an erasure.
#[derive(Debug, Clone)]
pub struct Erased {
    /// The (now anonymous) user id.
    pub user_id: String,
    /// When the erasure took effect (the first one, for a repeated call).
    pub erased_at: DateTime<Utc>,
}

impl App {
    /// A consumer's confirmation of its own erasure: the CONFIRM OTP sent to the bound phone,
    /// or — with no phone bound — a fresh wx.login() code of the mini-program of session `sid`.
    /// An ERASED user has nothing left to confirm against (the erasure answers its first
    /// outcome).
    pub async fn confirm_erasure(
        &self,
        tenant: TenantId,
        user_id: &str,
        sid: Option<&str>,
        otp: &str,
        wechat_code: &str,
    ) -> Result<(), AppError> {
        let view = self.user_view(tenant, user_id).await?;
        if view.user.status == UserStatus::Erased {
            return Ok(());
        }
        match view.user.phone.as_deref() {
            Some(phone) => {
                if otp.len() != 6 || !otp.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(AppError::invalid(
                        "otp",
                        "the 6-digit CONFIRM code sent to the bound phone is required",
                    ));
                }
                self.confirm_erasure_otp(tenant, phone, otp).await
            }
            None => {
                if wechat_code.trim().is_empty() {
                    return Err(AppError::invalid(
                        "wechat_code",
                        "a fresh wx.login() code is required when no phone is bound",
                    ));
                }
                let app_id = self.session_app(sid).await?;
                self.confirm_erasure_wechat(tenant, user_id, &app_id, wechat_code.trim())
                    .await
            }
        }
    }

    /// Verifies and consumes the CONFIRM OTP sent to the user's bound `phone`. The OTP is
    /// checked in its own transaction so a wrong code's counted attempt survives the refusal.
    pub async fn confirm_erasure_otp(
        &self,
        tenant: TenantId,
        phone: &str,
        code: &str,
    ) -> Result<(), AppError> {
        let txn = siyu_store::db::begin_write(&self.db).await?;
        match self
            .verify_otp(&txn, tenant, phone, OtpPurpose::Confirm, code)
            .await
        {
            Ok(()) => {
                txn.commit().await?;
                Ok(())
            }
            Err(err @ (AppError::OtpInvalid { .. } | AppError::ResourceExhausted { .. })) => {
                txn.commit().await?;
                Err(err)
            }
            Err(err) => Err(err),
        }
    }

    /// Verifies a fresh wx.login() code of the session's mini-program: it must resolve to an
    /// openid linked to the user (WeChat codes live 5 minutes and are single use).
    pub async fn confirm_erasure_wechat(
        &self,
        tenant: TenantId,
        user_id: &str,
        app_id: &str,
        code: &str,
    ) -> Result<(), AppError> {
        let invalid = AppError::WechatCodeInvalid;
        if app_id.is_empty() {
            return Err(AppError::invalid(
                "wechat_code",
                "the session has no mini-program to verify a code with",
            ));
        }
        let resolved = self.resolve_app(app_id).await?;
        if resolved.tenant.id != tenant || resolved.app.kind != AppKind::MiniProgram {
            return Err(invalid);
        }
        let sealed = resolved
            .app
            .secret_enc
            .as_ref()
            .ok_or(AppError::AppDisabled)?;
        let secret = String::from_utf8(self.sealer.open(sealed)?)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let session = match self.wechat.code2session(app_id, &secret, code).await {
            Ok(session) => session,
            Err(WeChatError::Code(40029 | 40163 | 41008)) => return Err(invalid),
            Err(err) => {
                tracing::warn!(error = %err, "jscode2session failed");
                return Err(AppError::WechatUnavailable);
            }
        };
        let owner = crate::repo::consumers::users::find_by_identity(
            &self.db,
            tenant,
            IdentityKind::Openid,
            app_id,
            &session.openid,
        )
        .await?;
        match owner {
            Some(user) if user.id == user_id => Ok(()),
            _ => Err(invalid),
        }
    }

    /// Erases a user (see the module docs); an ERASED user answers its first erasure again.
    #[tracing::instrument(skip_all, fields(tenant = %e.tenant, user = e.user_id))]
    pub async fn erase_user(
        &self,
        txn: &impl ConnectionTrait,
        e: Erasure<'_>,
    ) -> Result<Erased, AppError> {
        let (tenant, id) = (e.tenant, e.user_id);
        let now = crate::repo::micros(self.clock.now());
        let user = identities_repo::lock_users(txn, tenant, &[id])
            .await?
            .pop()
            .ok_or(AppError::UserNotFound)?;
        match user.status {
            UserStatus::Erased => {
                let erased_at = repo::erased_at(txn, tenant, id)
                    .await?
                    .unwrap_or(user.updated_at);
                return Ok(Erased {
                    user_id: user.id,
                    erased_at,
                });
            }
            UserStatus::Merged => {
                return Err(AppError::UserMerged {
                    kept_user_id: user.merged_into.unwrap_or_default(),
                });
            }
            UserStatus::Active | UserStatus::Blocked => {}
        }
        let mut phones: BTreeSet<String> = repo::delete_identities(txn, tenant, id)
            .await?
            .into_iter()
            .collect();
        phones.extend(user.phone.clone());
        for phone in &phones {
            repo::delete_otps(txn, tenant, phone).await?;
        }
        repo::clear_user(txn, tenant, id, Some(UserStatus::Erased), now).await?;
        scrub(txn, tenant, id, now).await?;
        let actor = (e.actor.kind.as_str(), e.actor.id.as_str());
        self.revoke_subject_sessions(txn, tenant, actor, id, None, "user_erased")
            .await?;
        crate::repo::partners::clients::revoke_subject_tokens(txn, tenant, id, now).await?;
        let tombstones = self.scrub_tombstones(txn, tenant, id, now).await?;
        repo::insert_record(txn, tenant, id, e.requested_by, now).await?;
        let mut details = BTreeMap::from([
            ("requested_by".to_owned(), e.requested_by.to_owned()),
            ("tombstones_scrubbed".to_owned(), tombstones.to_string()),
        ]);
        if !e.reason.is_empty() {
            details.insert("reason".to_owned(), e.reason.to_owned());
        }
        audit_repo::append(
            txn,
            tenant,
            NewEntry {
                kind: "USER_ERASED",
                outcome: AuditOutcome::Success,
                actor_kind: e.actor.kind.clone(),
                actor_id: e.actor.id.clone(),
                target_kind: "user".into(),
                target_id: id.to_owned(),
                details,
            },
            now,
        )
        .await?;
        crate::events::user_erased(txn, tenant, id, e.requested_by, now).await?;
        Ok(Erased {
            user_id: id.to_owned(),
            erased_at: now,
        })
    }

    /// Clears the profile of every user merged (transitively) into `id`; returns how many.
    async fn scrub_tombstones(
        &self,
        txn: &impl ConnectionTrait,
        tenant: TenantId,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<usize, AppError> {
        let mut seen = BTreeSet::from([id.to_owned()]);
        let mut pending = repo::merged_into(txn, tenant, id).await?;
        while let Some(next) = pending.pop() {
            if !seen.insert(next.clone()) {
                continue;
            }
            repo::clear_user(txn, tenant, &next, None, now).await?;
            scrub(txn, tenant, &next, now).await?;
            pending.extend(repo::merged_into(txn, tenant, &next).await?);
        }
        Ok(seen.len() - 1)
    }
}

/// The per-user scrubbing shared by the erased user and its tombstones.
async fn scrub(
    txn: &impl ConnectionTrait,
    tenant: TenantId,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    repo::scrub_consents(txn, tenant, id).await?;
    repo::scrub_sessions(txn, tenant, id).await?;
    exports_repo::purge_user(txn, tenant, id, now).await?;
    Ok(())
}
