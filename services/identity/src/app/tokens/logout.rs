//! Logout and LogoutEverywhere: a caller ends its own session (or the session of one of its own
//! refresh tokens), or all of them.

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, PrincipalKind};

use crate::app::{App, kind_name};
use crate::error::AppError;

impl App {
    /// The session a Logout ends: the caller's own (`sid` of its token), or — with
    /// `refresh_token` — that token's session when it is one of the caller's. `None` when
    /// nothing of the caller's is named (logging out twice succeeds).
    pub async fn session_to_log_out(
        &self,
        ctx: &Ctx,
        sid: Option<&str>,
        refresh_token: &str,
    ) -> Result<Option<String>, AppError> {
        if refresh_token.is_empty() {
            return Ok(sid.map(str::to_owned));
        }
        let tenant = ctx.tenant;
        Ok(self
            .session_of_refresh(refresh_token)
            .await?
            .filter(|s| s.tenant_id == tenant && s.subject_id == ctx.principal.subject)
            .map(|s| s.id))
    }

    /// Logout of session `sid` of the caller; a staff logout is audited (LOGOUT).
    pub async fn log_out(
        &self,
        txn: &impl ConnectionTrait,
        ctx: &Ctx,
        sid: &str,
    ) -> Result<(), AppError> {
        let actor = (
            kind_name(ctx.principal.kind),
            ctx.principal.subject.as_str(),
        );
        let audit = (ctx.principal.kind == PrincipalKind::Staff).then_some(("LOGOUT", actor));
        self.revoke_session(txn, ctx.tenant, sid, audit).await?;
        Ok(())
    }

    /// LogoutEverywhere: every session of the caller but `keep`; how many ended.
    pub async fn log_out_everywhere(
        &self,
        txn: &impl ConnectionTrait,
        ctx: &Ctx,
        keep: Option<&str>,
    ) -> Result<u64, AppError> {
        let subject = ctx.principal.subject.as_str();
        let actor = (kind_name(ctx.principal.kind), subject);
        self.revoke_subject_sessions(txn, ctx.tenant, actor, subject, keep, "logout_everywhere")
            .await
    }
}
