//! Consumer login with a WeChat mini-program code.
//!
//! Find-or-create is safe under concurrency: the identity link has a unique constraint on
//! (tenant, kind, scope, value); a login that loses the insert race rolls back its new user
//! and re-reads the winner's link, so N simultaneous first logins create exactly one user.

use siyu_core::TenantId;

use crate::app::tokens::sessions::{Issued, NewSession};
use crate::app::{App, ClientInfo};
use crate::error::AppError;
use crate::repo::audit::AuditOutcome;
use crate::repo::audit::chain::{self as audit_repo, NewEntry};
use crate::repo::consumers::users::{self as repo, User};
use crate::repo::consumers::{IdentityKind, UserStatus};
use crate::repo::tenancy::AppKind;
use crate::repo::tokens::SubjectKind;
use crate::wechat::{WeChatError, WxSession};

/// The outcome of a WeChat login.
#[derive(Debug, Clone)]
pub struct WeChatLogin {
    /// Tokens.
    pub issued: Issued,
    /// The user.
    pub user: User,
    /// Created by this login.
    pub is_new_user: bool,
}

impl App {
    /// LoginWithWeChat.
    #[tracing::instrument(skip_all)]
    pub async fn login_with_wechat(
        &self,
        app_id: &str,
        code: &str,
        client: &ClientInfo,
    ) -> Result<WeChatLogin, AppError> {
        let resolved = self.resolve_app(app_id).await?;
        if resolved.app.kind != AppKind::MiniProgram {
            return Err(AppError::AppNotFound);
        }
        let sealed = resolved
            .app
            .secret_enc
            .as_ref()
            .ok_or(AppError::AppDisabled)?;
        let secret = String::from_utf8(self.sealer.open(sealed)?)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let tenant = resolved.tenant.id;
        let session = match self.wechat.code2session(app_id, &secret, code).await {
            Ok(session) => session,
            Err(err) => return Err(self.login_failed(tenant, app_id, err).await),
        };
        for _ in 0..3 {
            if let Some(done) = self.try_login(tenant, app_id, &session, client).await? {
                return Ok(done);
            }
        }
        Err(AppError::Internal(
            "login kept losing identity races".into(),
        ))
    }

    /// BindPhoneWithWeChat: exchanges the getPhoneNumber code (app access token from the
    /// cache) and binds the number to the caller (see `phone_bind`). `app_id` empty → the app
    /// of the caller's session; an app of another tenant is APP_NOT_FOUND.
    #[tracing::instrument(skip_all)]
    pub async fn bind_phone_with_wechat(
        &self,
        tenant: TenantId,
        user_id: &str,
        sid: Option<&str>,
        app_id: &str,
        code: &str,
        client: &ClientInfo,
    ) -> Result<crate::app::consumers::phone_bind::Binding, AppError> {
        let app_id = if app_id.is_empty() {
            match sid {
                Some(sid) => self
                    .session(sid)
                    .await?
                    .map(|s| s.app_id)
                    .unwrap_or_default(),
                None => String::new(),
            }
        } else {
            app_id.to_owned()
        };
        if app_id.is_empty() {
            return Err(AppError::invalid(
                "app_id",
                "is required (no app on the session)",
            ));
        }
        let resolved = self.resolve_app(&app_id).await?;
        if resolved.tenant.id != tenant || resolved.app.kind != AppKind::MiniProgram {
            return Err(AppError::AppNotFound);
        }
        let sealed = resolved
            .app
            .secret_enc
            .as_ref()
            .ok_or(AppError::AppDisabled)?;
        let secret = String::from_utf8(self.sealer.open(sealed)?)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let phone = match self.wechat.phone_number(&app_id, &secret, code).await {
            Ok(phone) => phone,
            Err(WeChatError::Code(40029 | 40163 | 47001)) => {
                return Err(AppError::WechatPhoneCodeInvalid);
            }
            Err(err) => {
                tracing::warn!(error = %err, "getuserphonenumber failed");
                return Err(AppError::WechatUnavailable);
            }
        };
        self.bind_phone(crate::app::consumers::phone_bind::BindRequest {
            tenant,
            user_id,
            phone: &phone.e164,
            method: "wechat_phone_code",
            app_id: &app_id,
            client,
        })
        .await
    }

    /// One attempt; `None` when a concurrent login linked the identity first (retry reads it).
    async fn try_login(
        &self,
        tenant: TenantId,
        app_id: &str,
        wx: &WxSession,
        client: &ClientInfo,
    ) -> Result<Option<WeChatLogin>, AppError> {
        let now = self.clock.now();
        let txn = siyu_store::db::begin_write(&self.db).await?;
        let mut existing =
            repo::find_by_identity(&txn, tenant, IdentityKind::Openid, app_id, &wx.openid).await?;
        let mut link_openid = false;
        if existing.is_none()
            && let Some(unionid) = &wx.unionid
        {
            existing =
                repo::find_by_identity(&txn, tenant, IdentityKind::Unionid, "", unionid).await?;
            link_openid = existing.is_some();
        }
        let (user, is_new_user) = match existing {
            Some(user) => match lock_live(&txn, tenant, &user.id).await? {
                Some(user) => (user, false),
                None => {
                    txn.rollback().await?;
                    return Ok(None);
                }
            },
            None => {
                let user = User {
                    id: siyu_core::id::new_string(),
                    tenant_id: tenant,
                    status: UserStatus::Active,
                    phone: None,
                    merged_into: None,
                    created_at: now,
                    updated_at: now,
                };
                repo::insert(&txn, &user).await?;
                (user, true)
            }
        };
        // The user's row lock orders this login against a block (which revokes the sessions
        // it can see) and a merge: a session is never started for a user blocked meanwhile.
        let user = if is_new_user {
            user
        } else {
            match crate::repo::consumers::identities::lock_users(&txn, tenant, &[&user.id])
                .await?
                .pop()
            {
                Some(locked) if locked.status != UserStatus::Merged => locked,
                // Merged away since the look-up: the identity has moved, look again.
                _ => {
                    txn.rollback().await?;
                    return Ok(None);
                }
            }
        };
        if user.status != UserStatus::Active {
            txn.rollback().await?;
            self.login_refused(tenant, &user.id, "wechat_mini_program")
                .await;
            return Err(AppError::UserBlocked);
        }
        let mut links = Vec::new();
        if is_new_user || link_openid {
            links.push((IdentityKind::Openid, app_id, wx.openid.as_str()));
        }
        if is_new_user && let Some(unionid) = &wx.unionid {
            links.push((IdentityKind::Unionid, "", unionid.as_str()));
        }
        for (kind, scope, value) in links {
            if let Err(err) = repo::link(&txn, tenant, &user.id, kind, scope, value, now).await {
                if crate::repo::is_unique_violation(&err) {
                    txn.rollback().await?;
                    return Ok(None);
                }
                return Err(err);
            }
        }
        if is_new_user {
            crate::events::user_registered(&txn, tenant, &user.id, now).await?;
        }
        let issued = self
            .start_session(
                &txn,
                NewSession {
                    tenant,
                    kind: SubjectKind::Consumer,
                    subject: &user.id,
                    login_method: "wechat_mini_program",
                    app_id,
                    client,
                },
            )
            .await?;
        audit_repo::append(
            &txn,
            tenant,
            NewEntry {
                kind: "CONSUMER_LOGIN",
                outcome: AuditOutcome::Success,
                actor_kind: "consumer".into(),
                actor_id: user.id.clone(),
                target_kind: "user".into(),
                target_id: user.id.clone(),
                details: [("app_id".to_owned(), app_id.to_owned())]
                    .into_iter()
                    .collect(),
            },
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(Some(WeChatLogin {
            issued,
            user,
            is_new_user,
        }))
    }

    async fn login_failed(&self, tenant: TenantId, app_id: &str, err: WeChatError) -> AppError {
        let mapped = match &err {
            WeChatError::Code(40029 | 40163) => AppError::WechatCodeInvalid,
            WeChatError::Code(41008) => AppError::invalid("code", "is required"),
            WeChatError::Code(_) | WeChatError::Unavailable(_) => {
                tracing::warn!(error = %err, "jscode2session failed");
                return AppError::WechatUnavailable;
            }
        };
        let now = self.clock.now();
        let audited = async {
            let txn = siyu_store::db::begin_write(&self.db).await?;
            audit_repo::append(
                &txn,
                tenant,
                NewEntry {
                    kind: "CONSUMER_LOGIN_FAILED",
                    outcome: AuditOutcome::Failure,
                    actor_kind: "anonymous".into(),
                    actor_id: String::new(),
                    target_kind: "app".into(),
                    target_id: app_id.to_owned(),
                    details: [("wechat_errcode".to_owned(), err.to_string())]
                        .into_iter()
                        .collect(),
                },
                now,
            )
            .await?;
            txn.commit().await?;
            Ok::<(), AppError>(())
        };
        if let Err(audit_err) = audited.await {
            tracing::error!(error = %audit_err, "could not audit a failed login");
        }
        mapped
    }
}

/// Locks a user found through an identity. An erasure that committed meanwhile removed that
/// identity: `None` (the caller retries and registers a new user). Holding the lock until the
/// session is written means an erasure waiting on it sees, and revokes, that session.
pub(super) async fn lock_live(
    txn: &impl sea_orm::ConnectionTrait,
    tenant: TenantId,
    id: &str,
) -> Result<Option<User>, AppError> {
    Ok(
        crate::repo::consumers::identities::lock_users(txn, tenant, &[id])
            .await?
            .pop()
            .filter(|u| u.status != UserStatus::Erased),
    )
}
