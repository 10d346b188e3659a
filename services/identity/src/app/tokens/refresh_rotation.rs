//! Refresh-token rotation (RefreshSession): opaque refresh tokens are rotated on every use, and a
//! token presented again after its lost-response grace revokes its whole family.
//!
//! Concurrency: the presented token is spent with a conditional UPDATE (`spent_at IS NULL`; on
//! Postgres first as one statement, `repo::tokens::refresh_rotation`) that also keeps the new
//! pair sealed beside it (`refresh_grace.rs`). Of N concurrent presentations exactly one spends
//! it; every other one waits for that spend to commit, finds the spend and the kept pair, and
//! answers the same pair — never a second live one. A spent token presented more than 10 s
//! after its spend (or whose pair was refreshed since) is reuse: theft or a replay. The family
//! is revoked and REFRESH_TOKEN_REUSED audited.

use chrono::{DateTime, Duration, Utc};
use siyu_core::PrincipalKind;

use crate::app::App;
use crate::app::tokens::sessions::Issued;
use crate::crypto::{random_token, sha256_hex};
use crate::error::AppError;
use crate::repo::audit::AuditOutcome;
use crate::repo::audit::chain::{self as audit_repo, NewEntry};
use crate::repo::consumers::UserStatus;
use crate::repo::consumers::users as users_repo;
use crate::repo::staff::StaffStatus;
use crate::repo::staff::accounts as staff_repo;
use crate::repo::tenancy::TenantStatus;
use crate::repo::tokens::SubjectKind;
use crate::repo::tokens::refresh_rotation;
use crate::repo::tokens::sessions::{self as repo, Session};

impl App {
    /// Exchanges a refresh token for a new pair (see the module comment on concurrency and
    /// the grace).
    #[tracing::instrument(skip_all)]
    pub async fn refresh(&self, refresh_token: &str) -> Result<Issued, AppError> {
        if refresh_token.is_empty() || refresh_token.len() > 128 {
            return Err(AppError::RefreshTokenInvalid);
        }
        let hash = sha256_hex(refresh_token);
        let now = self.clock.now();
        if let Some(issued) = self.refresh_fast(&hash, now).await? {
            return Ok(issued);
        }
        let txn = siyu_store::db::begin_write(&self.db).await?;
        let token = repo::get_refresh(&txn, &hash)
            .await?
            .ok_or(AppError::RefreshTokenInvalid)?;
        let session = repo::get_session(&txn, &token.session_id)
            .await?
            .ok_or(AppError::RefreshTokenInvalid)?;
        // Suspension revoked the tenant's sessions too; the tenant's state is the better answer.
        if crate::repo::tenancy::tenants::get(&txn, session.tenant_id)
            .await?
            .is_some_and(|t| t.status != TenantStatus::Active)
        {
            return Err(AppError::TenantSuspended);
        }
        if session.revoked_at.is_some() {
            // Revocation spent every token of the family; that is not a new reuse.
            return Err(AppError::SessionRevoked);
        }
        if repo::spend_refresh(&txn, &hash, now).await? == 0 {
            // Already spent; a concurrent spender has committed by now (the UPDATE waited for
            // its row lock). A retry within the grace gets that spend's pair.
            let spent = repo::get_refresh(&txn, &hash).await?;
            if let Some(spent) = spent
                && let Some(pair) = self.retried_pair(&txn, &spent, now).await?
            {
                tracing::debug!("refresh retried within its grace");
                return Ok(pair);
            }
            return self.refresh_reused(txn, &session, now).await;
        }
        if token.expires_at <= now || session.absolute_expires_at <= now {
            return Err(AppError::RefreshTokenExpired);
        }
        let kind = self.check_subject(&txn, &session).await?;
        let new_token = random_token()?;
        let refresh_expires_at = (now + Duration::seconds(self.settings.tokens.refresh_ttl_secs))
            .min(session.absolute_expires_at);
        repo::insert_refresh(
            &txn,
            &sha256_hex(&new_token),
            &session.id,
            session.tenant_id,
            now,
            refresh_expires_at,
        )
        .await?;
        // Conditional on the session still being live: a concurrent revocation (block, merge,
        // logout) holds the row, and once it commits this refresh touches nothing.
        if repo::touch_session(&txn, &session.id, now, refresh_expires_at).await? != 1 {
            return Err(AppError::SessionRevoked);
        }
        let roles = self
            .roles_of(&txn, session.tenant_id, kind, &session.subject_id)
            .await?;
        let (access_token, access_expires_at) = self.sign_access(
            session.tenant_id,
            kind,
            &session.subject_id,
            roles,
            Vec::new(),
            Some(&session.id),
            None,
            None,
        )?;
        let issued = Issued {
            access_token,
            access_expires_at,
            refresh_token: new_token,
            refresh_expires_at: Some(refresh_expires_at),
            session_id: session.id,
        };
        repo::keep_successor(&txn, &hash, &self.seal_successor(&issued)?).await?;
        txn.commit().await?;
        Ok(issued)
    }

    /// Reuse of a spent token: revokes the family, audits REFRESH_TOKEN_REUSED, commits.
    async fn refresh_reused(
        &self,
        txn: sea_orm::DatabaseTransaction,
        session: &Session,
        now: DateTime<Utc>,
    ) -> Result<Issued, AppError> {
        repo::revoke_sessions(
            &txn,
            session.tenant_id,
            std::slice::from_ref(&session.id),
            "refresh_token_reused",
            now,
        )
        .await?;
        audit_repo::append(
            &txn,
            session.tenant_id,
            NewEntry {
                kind: "REFRESH_TOKEN_REUSED",
                outcome: AuditOutcome::Failure,
                actor_kind: session.principal_kind.as_str().to_owned(),
                actor_id: session.subject_id.clone(),
                target_kind: "session".into(),
                target_id: session.id.clone(),
                details: Default::default(),
            },
            now,
        )
        .await?;
        txn.commit().await?;
        Err(AppError::RefreshTokenReused)
    }

    /// The one-statement rotation (Postgres): `None` when it did not rotate, and `refresh`
    /// then diagnoses on the multi-statement path, which alone decides errors, reuse and the
    /// grace. The new pair is signed before the statement (from one read of the token's
    /// session), so the statement that spends the token also keeps the pair.
    async fn refresh_fast(
        &self,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Issued>, AppError> {
        if !refresh_rotation::supported(&self.db) {
            return Ok(None);
        }
        let Some(live) = refresh_rotation::live(&self.db, hash).await? else {
            return Ok(None);
        };
        let kind = live.principal_kind.principal();
        let roles = self
            .roles_of(&self.db, live.tenant_id, kind, &live.subject_id)
            .await?;
        let new_token = random_token()?;
        let ttl_end = now + Duration::seconds(self.settings.tokens.refresh_ttl_secs);
        let (access_token, access_expires_at) = self.sign_access(
            live.tenant_id,
            kind,
            &live.subject_id,
            roles,
            Vec::new(),
            Some(&live.session_id),
            None,
            None,
        )?;
        let issued = Issued {
            access_token,
            access_expires_at,
            refresh_token: new_token,
            // What the statement stores: the TTL, capped at the session's hard end.
            refresh_expires_at: Some(ttl_end.min(live.absolute_expires_at)),
            session_id: live.session_id,
        };
        let sealed = self.seal_successor(&issued)?;
        let new_hash = sha256_hex(&issued.refresh_token);
        let rotated = refresh_rotation::rotate_keeping(
            &self.db,
            hash,
            &new_hash,
            Some(&sealed),
            now,
            ttl_end,
        )
        .await?;
        Ok(rotated.map(|_| issued))
    }

    /// Checks the session's subject may still hold tokens; returns its kind.
    async fn check_subject(
        &self,
        conn: &impl sea_orm::ConnectionTrait,
        session: &Session,
    ) -> Result<PrincipalKind, AppError> {
        match session.principal_kind {
            SubjectKind::Staff => {
                let staff = staff_repo::get(conn, session.tenant_id, &session.subject_id)
                    .await?
                    .ok_or(AppError::SessionRevoked)?;
                if staff.status != StaffStatus::Active {
                    return Err(AppError::SessionRevoked);
                }
                if staff.must_change_password {
                    return Err(AppError::PasswordChangeRequired);
                }
                Ok(PrincipalKind::Staff)
            }
            SubjectKind::Consumer => {
                let user = users_repo::get(conn, session.tenant_id, &session.subject_id)
                    .await?
                    .ok_or(AppError::SessionRevoked)?;
                if user.status != UserStatus::Active {
                    return Err(AppError::SessionRevoked);
                }
                Ok(PrincipalKind::Consumer)
            }
        }
    }
}
