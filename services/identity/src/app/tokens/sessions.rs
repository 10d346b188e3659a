//! Sessions of consumers and staff: starting one (a refresh token and a signed access JWT),
//! signing access tokens, session reads, and revocation (logout, logout everywhere, and the
//! revocations other concepts trigger: block, merge, disable, erasure). Rotation of the
//! refresh token lives in `refresh_rotation.rs`.

use chrono::{DateTime, Duration, Utc};
use siyu_auth::{Audience, Claims, RoleClaim};
use siyu_core::{PrincipalKind, TenantId};

use crate::app::{App, ClientInfo};
use crate::crypto::{random_token, sha256_hex};
use crate::error::AppError;
use crate::repo::audit::AuditOutcome;
use crate::repo::audit::chain::{self as audit_repo, NewEntry};
use crate::repo::staff::accounts as staff_repo;
use crate::repo::tokens::SubjectKind;
use crate::repo::tokens::sessions::{self as repo, Session};

/// A token pair as handed to the client.
#[derive(Debug, Clone)]
pub struct Issued {
    /// Access JWT.
    pub access_token: String,
    /// Its expiry.
    pub access_expires_at: DateTime<Utc>,
    /// Opaque refresh token (empty for partner/service tokens).
    pub refresh_token: String,
    /// Its expiry.
    pub refresh_expires_at: Option<DateTime<Utc>>,
    /// Session id.
    pub session_id: String,
}

/// A new session of a consumer or staff member.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    /// Tenant.
    pub tenant: TenantId,
    /// Consumer or staff.
    pub kind: SubjectKind,
    /// User or staff id.
    pub subject: &'a str,
    /// e.g. `wechat_mini_program`, `password`.
    pub login_method: &'a str,
    /// App id of a consumer login.
    pub app_id: &'a str,
    /// Client.
    pub client: &'a ClientInfo,
}

/// The jti of a session token: `<sid>.<token id>`, so identity can find the session of a
/// token (siyu-auth's `Claims` has no `sid` claim).
pub fn session_jti(sid: &str) -> String {
    format!("{sid}.{}", siyu_core::id::new().simple())
}

/// The session id inside a session token's jti.
pub fn sid_of(jti: &str) -> Option<&str> {
    jti.split_once('.').map(|(sid, _)| sid)
}

impl App {
    /// Starts a session in `txn` and returns its tokens (roles re-read for staff).
    pub async fn start_session(
        &self,
        txn: &impl sea_orm::ConnectionTrait,
        new: NewSession<'_>,
    ) -> Result<Issued, AppError> {
        let now = self.clock.now();
        let sid = siyu_core::id::new_string();
        let refresh_expires_at = now + Duration::seconds(self.settings.tokens.refresh_ttl_secs);
        let row = Session {
            id: sid.clone(),
            tenant_id: new.tenant.to_owned(),
            principal_kind: new.kind,
            subject_id: new.subject.to_owned(),
            login_method: new.login_method.to_owned(),
            app_id: new.app_id.to_owned(),
            user_agent: new.client.user_agent.chars().take(256).collect(),
            ip_masked: new.client.ip_masked(),
            created_at: now,
            last_refresh_at: now,
            expires_at: refresh_expires_at,
            absolute_expires_at: now + Duration::seconds(self.settings.tokens.session_max_secs),
            revoked_at: None,
        };
        repo::insert_session(txn, &row).await?;
        let refresh_token = random_token()?;
        repo::insert_refresh(
            txn,
            &sha256_hex(&refresh_token),
            &sid,
            new.tenant,
            now,
            refresh_expires_at,
        )
        .await?;
        let roles = self
            .roles_of(txn, new.tenant, new.kind.principal(), new.subject)
            .await?;
        let (access_token, access_expires_at) = self.sign_access(
            new.tenant,
            new.kind.principal(),
            new.subject,
            roles,
            Vec::new(),
            Some(&sid),
            None,
            None,
        )?;
        Ok(Issued {
            access_token,
            access_expires_at,
            refresh_token,
            refresh_expires_at: Some(refresh_expires_at),
            session_id: sid,
        })
    }

    /// Signs an access token. `ttl` defaults to the configured access lifetime.
    #[allow(clippy::too_many_arguments, reason = "one flat list of claims")]
    pub fn sign_access(
        &self,
        tenant: TenantId,
        kind: PrincipalKind,
        subject: &str,
        roles: Vec<RoleClaim>,
        scopes: Vec<String>,
        sid: Option<&str>,
        client_id: Option<String>,
        ttl: Option<Duration>,
    ) -> Result<(String, DateTime<Utc>), AppError> {
        let now = self.clock.now();
        let exp =
            now + ttl.unwrap_or_else(|| Duration::seconds(self.settings.tokens.access_ttl_secs));
        let claims = Claims {
            sub: subject.to_owned(),
            tenant,
            kind,
            roles,
            scopes,
            exp: exp.timestamp(),
            nbf: Some(now.timestamp()),
            iat: now.timestamp(),
            iss: self.settings.tokens.issuer.clone(),
            aud: Audience::One(self.settings.tokens.audience.clone()),
            jti: sid.map_or_else(siyu_core::id::new_string, session_jti),
            client_id,
        };
        Ok((self.keys.sign(&claims)?, exp))
    }

    /// The role claims of a staff subject (none for consumers).
    pub(super) async fn roles_of(
        &self,
        conn: &impl sea_orm::ConnectionTrait,
        tenant: TenantId,
        kind: PrincipalKind,
        subject: &str,
    ) -> Result<Vec<RoleClaim>, AppError> {
        if kind != PrincipalKind::Staff {
            return Ok(Vec::new());
        }
        Ok(staff_repo::role_claims(conn, tenant, subject)
            .await?
            .into_iter()
            .map(|(role, org)| RoleClaim { role, org })
            .collect())
    }

    /// True when the session is live (identity checks this for its own callers, so a revoked
    /// session's access tokens stop working here at once).
    pub async fn session_is_live(&self, tenant: TenantId, sid: &str) -> Result<bool, AppError> {
        Ok(repo::get_session(&self.db, sid)
            .await?
            .is_some_and(|s| s.tenant_id == tenant && s.revoked_at.is_none()))
    }

    /// Revokes sessions of `subject` in `tenant` (all, or all but `keep`), auditing `kind`.
    pub async fn revoke_subject_sessions(
        &self,
        txn: &impl sea_orm::ConnectionTrait,
        tenant: TenantId,
        actor: (&str, &str),
        subject: &str,
        keep: Option<&str>,
        reason: &str,
    ) -> Result<u64, AppError> {
        let now = self.clock.now();
        let ids: Vec<String> = repo::live_session_ids(txn, tenant, subject)
            .await?
            .into_iter()
            .filter(|id| Some(id.as_str()) != keep)
            .collect();
        let n = repo::revoke_sessions(txn, tenant, &ids, reason, now).await?;
        audit_repo::append(
            txn,
            tenant,
            NewEntry {
                kind: "SESSIONS_REVOKED",
                outcome: AuditOutcome::Success,
                actor_kind: actor.0.to_owned(),
                actor_id: actor.1.to_owned(),
                target_kind: "subject".into(),
                target_id: subject.to_owned(),
                details: [
                    ("count".to_owned(), n.to_string()),
                    ("reason".to_owned(), reason.to_owned()),
                ]
                .into_iter()
                .collect(),
            },
            now,
        )
        .await?;
        Ok(n)
    }

    /// Revokes one session of the caller's tenant (logout, RevokeSession).
    pub async fn revoke_session(
        &self,
        txn: &impl sea_orm::ConnectionTrait,
        tenant: TenantId,
        sid: &str,
        audit: Option<(&'static str, (&str, &str))>,
    ) -> Result<u64, AppError> {
        let now = self.clock.now();
        let n = repo::revoke_sessions(txn, tenant, &[sid.to_owned()], "logout", now).await?;
        if let Some((kind, (actor_kind, actor_id))) = audit {
            audit_repo::append(
                txn,
                tenant,
                NewEntry {
                    kind,
                    outcome: AuditOutcome::Success,
                    actor_kind: actor_kind.to_owned(),
                    actor_id: actor_id.to_owned(),
                    target_kind: "session".into(),
                    target_id: sid.to_owned(),
                    details: Default::default(),
                },
                now,
            )
            .await?;
        }
        Ok(n)
    }

    /// The session of a refresh token (for Logout with `refresh_token`).
    pub async fn session_of_refresh(
        &self,
        refresh_token: &str,
    ) -> Result<Option<Session>, AppError> {
        let Some(token) = repo::get_refresh(&self.db, &sha256_hex(refresh_token)).await? else {
            return Ok(None);
        };
        repo::get_session(&self.db, &token.session_id).await
    }

    /// A session by id.
    pub async fn session(&self, sid: &str) -> Result<Option<Session>, AppError> {
        repo::get_session(&self.db, sid).await
    }

    /// The app of session `sid` ('' without a session): a consumer sees and exports the
    /// openids of that app only.
    pub async fn session_app(&self, sid: Option<&str>) -> Result<String, AppError> {
        Ok(match sid {
            Some(sid) => self.session(sid).await?.map(|s| s.app_id),
            None => None,
        }
        .unwrap_or_default())
    }

    /// Live sessions of a subject.
    pub async fn live_sessions(
        &self,
        tenant: TenantId,
        subject: &str,
    ) -> Result<Vec<Session>, AppError> {
        repo::live_sessions(&self.db, tenant, subject, self.clock.now()).await
    }
}
