//! Whose sessions a caller may see and end (ListSessions / RevokeSession): their own, and those
//! the session-admin rule below gives a tenant admin or customer service.

use siyu_core::{Ctx, PrincipalKind};

use crate::app::App;
use crate::app::audit::append::audit;
use crate::app::org::holds;
use crate::app::role::{CUSTOMER_SERVICE, TENANT_ADMIN};
use crate::error::AppError;
use crate::repo::consumers::users as users_repo;
use crate::repo::tokens::SubjectKind;
use crate::repo::tokens::sessions::{self as repo, Session};

/// The session-admin rule (token_service.proto): any staff member or consumer may call
/// ListSessions and RevokeSession for themself; whose *other* sessions they administer is a rule
/// about two roles — a tenant admin the staff whose primary unit lies in the admin's scope,
/// customer service the consumers (anywhere in the tenant: consumers belong to no org unit).
fn administers_sessions_of(ctx: &Ctx, subject: Administered<'_>) -> bool {
    match subject {
        Administered::Staff { path } => holds(ctx, TENANT_ADMIN, path),
        Administered::Consumer => {
            ctx.principal.kind == PrincipalKind::Staff && ctx.principal.has_role(CUSTOMER_SERVICE)
        }
    }
}

/// Whose sessions are administered.
enum Administered<'a> {
    /// A staff member with the path of their primary unit.
    Staff { path: &'a str },
    /// A consumer.
    Consumer,
}

impl App {
    /// Whether `ctx` may manage the sessions of `subject` (a staff member or consumer), which
    /// must exist in the tenant: NOT_FOUND STAFF_NOT_FOUND / USER_NOT_FOUND otherwise (also for
    /// a consumer asking about anyone else), PERMISSION_DENIED when in the tenant but not
    /// the caller's to manage.
    pub async fn check_session_admin(
        &self,
        ctx: &Ctx,
        kind: SubjectKind,
        subject: &str,
    ) -> Result<(), AppError> {
        let tenant = ctx.tenant;
        if ctx.principal.subject == subject {
            return Ok(());
        }
        if kind == SubjectKind::Staff {
            let target = self.staff_view(&self.db, tenant, subject).await;
            if ctx.principal.kind != PrincipalKind::Staff {
                return Err(AppError::StaffNotFound);
            }
            let target = target?;
            let path = target.path.as_str();
            return if administers_sessions_of(ctx, Administered::Staff { path }) {
                Ok(())
            } else {
                Err(AppError::PermissionDenied)
            };
        }
        let exists = users_repo::get(&self.db, tenant, subject).await?.is_some();
        if !exists || ctx.principal.kind != PrincipalKind::Staff {
            return Err(AppError::UserNotFound);
        }
        if administers_sessions_of(ctx, Administered::Consumer) {
            Ok(())
        } else {
            Err(AppError::PermissionDenied)
        }
    }

    /// The live sessions ListSessions answers: the caller's own, or — `other` = (kind, id) —
    /// those of a staff member or consumer the caller administers (the kind asked is the kind
    /// answered).
    pub async fn list_sessions(
        &self,
        ctx: &Ctx,
        other: Option<(SubjectKind, &str)>,
    ) -> Result<Vec<Session>, AppError> {
        let (kind, subject) = match other {
            Some((kind, id)) => {
                self.check_session_admin(ctx, kind, id).await?;
                (Some(kind), id)
            }
            None => (None, ctx.principal.subject.as_str()),
        };
        Ok(self
            .live_sessions(ctx.tenant, subject)
            .await?
            .into_iter()
            .filter(|s| kind.is_none_or(|k| s.principal_kind == k))
            .collect())
    }

    /// The session `sid` if it is in the caller's tenant and the caller may end it; anything
    /// else reads as NOT_FOUND SESSION_NOT_FOUND (its existence is nobody else's business).
    pub async fn manageable_session(&self, ctx: &Ctx, sid: &str) -> Result<Session, AppError> {
        let session = repo::get_session(&self.db, sid)
            .await?
            .filter(|s| s.tenant_id == ctx.tenant)
            .ok_or(AppError::SessionNotFound)?;
        match self
            .check_session_admin(ctx, session.principal_kind, &session.subject_id)
            .await
        {
            Ok(()) => Ok(session),
            Err(AppError::Store(e)) => Err(AppError::Store(e)),
            Err(_) => Err(AppError::SessionNotFound),
        }
    }

    /// Ends one session; audits SESSIONS_REVOKED with the subject and the reason. Ending an
    /// already revoked session succeeds and audits nothing.
    pub async fn revoke_session_by(
        &self,
        txn: &impl sea_orm::ConnectionTrait,
        session: &Session,
        actor: (&str, &str),
        reason: &str,
    ) -> Result<u64, AppError> {
        let n = self
            .revoke_session(txn, session.tenant_id, &session.id, None)
            .await?;
        if n > 0 {
            let mut details = vec![
                ("subject_kind", session.principal_kind.as_str().to_owned()),
                ("subject_id", session.subject_id.clone()),
            ];
            if !reason.is_empty() {
                details.push(("reason", reason.to_owned()));
            }
            audit(
                txn,
                session.tenant_id,
                "SESSIONS_REVOKED",
                actor,
                ("session", &session.id),
                details,
                self.clock.now(),
            )
            .await?;
        }
        Ok(n)
    }
}
