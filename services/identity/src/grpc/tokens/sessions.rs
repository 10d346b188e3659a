//! TokenService: refresh, logout, and session listing and revocation, for oneself and for the
//! admins the contract names (see `app::tokens::session_admin`).

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Status};

use crate::error::AppError;
use crate::grpc::ids::{id, opt_id};
use crate::grpc::tokens::token_pair;
use crate::grpc::{Caller, TokenApi, owned_actor};
use crate::repo::tokens::sessions::SessionRow;
use siyu_proto::time::timestamp;

impl TokenApi {
    /// RefreshSession: de-duplicated by key, never replayed (it mints tokens).
    pub(super) async fn refresh_session_rpc(
        &self,
        request: Request<pb::RefreshSessionRequest>,
    ) -> Result<pb::RefreshSessionResponse, Status> {
        let token = request.get_ref().refresh_token.clone();
        let issued = self
            .dedupe(&request, "refresh", "RefreshSession", async {
                Ok(self.app.refresh(&token).await?)
            })
            .await?;
        Ok(pb::RefreshSessionResponse {
            tokens: Some(token_pair(&issued)),
        })
    }

    /// Logout: ends the caller's session, or the session of a refresh token of the caller.
    pub(super) async fn logout_rpc(
        &self,
        request: Request<pb::LogoutRequest>,
    ) -> Result<pb::LogoutResponse, Status> {
        let caller = Caller::of(&request)?;
        let tenant = caller.tenant();
        let refresh = &request.get_ref().refresh_token;
        let sid = if refresh.is_empty() {
            caller.sid.clone()
        } else {
            // Only a session of the caller may be ended this way.
            self.app
                .session_of_refresh(refresh)
                .await?
                .filter(|s| s.tenant_id == tenant && s.subject_id == caller.ctx.principal.subject)
                .map(|s| s.id)
        };
        let staff = caller.ctx.principal.kind == siyu_core::PrincipalKind::Staff;
        let actor = owned_actor(&caller);
        let reply = self
            .mutate(&request, &tenant.clone(), "Logout", move |app, txn| {
                Box::pin(async move {
                    if let Some(sid) = sid {
                        let audit =
                            staff.then_some(("LOGOUT", (actor.0.as_str(), actor.1.as_str())));
                        app.revoke_session(txn, &tenant, &sid, audit).await?;
                    }
                    Ok(pb::LogoutResponse {})
                })
            })
            .await?;
        Ok(reply)
    }

    /// LogoutEverywhere: ends every session of the caller, optionally but the current one.
    pub(super) async fn logout_everywhere_rpc(
        &self,
        request: Request<pb::LogoutEverywhereRequest>,
    ) -> Result<pb::LogoutEverywhereResponse, Status> {
        let caller = Caller::of(&request)?;
        let keep = request
            .get_ref()
            .keep_current
            .then(|| caller.sid.clone())
            .flatten();
        let tenant = caller.tenant();
        let actor = owned_actor(&caller);
        let subject = caller.ctx.principal.subject.clone();
        let reply = self
            .mutate(
                &request,
                &tenant.clone(),
                "LogoutEverywhere",
                move |app, txn| {
                    Box::pin(async move {
                        let n = app
                            .revoke_subject_sessions(
                                txn,
                                &tenant,
                                (&actor.0, &actor.1),
                                &subject,
                                keep.as_deref(),
                                "logout_everywhere",
                            )
                            .await?;
                        Ok(pb::LogoutEverywhereResponse {
                            revoked_session_count: i32::try_from(n).unwrap_or(i32::MAX),
                        })
                    })
                },
            )
            .await?;
        Ok(reply)
    }

    /// ListSessions: the caller's, or a named staff member's / consumer's for admins.
    pub(super) async fn sessions(
        &self,
        request: Request<pb::ListSessionsRequest>,
    ) -> Result<pb::ListSessionsResponse, Status> {
        let caller = Caller::of(&request)?;
        let req = request.get_ref();
        let own = &caller.ctx.principal.subject;
        let named = opt_id("subject_id", &req.subject_id)?.map(|id| id.to_string());
        let (kind, subject) = if named.as_ref().is_none_or(|id| id == own) {
            (String::new(), own.clone())
        } else {
            let kind = match pb::PrincipalKind::try_from(req.principal_kind) {
                Ok(pb::PrincipalKind::Staff) => "staff",
                Ok(pb::PrincipalKind::Consumer) => "consumer",
                _ => {
                    return Err(AppError::invalid(
                        "principal_kind",
                        "must be STAFF or CONSUMER with subject_id",
                    )
                    .into());
                }
            };
            let subject = named.unwrap_or_default();
            self.app
                .check_session_admin(&caller.ctx, kind, &subject)
                .await?;
            (kind.to_owned(), subject)
        };
        let rows: Vec<_> = self
            .app
            .live_sessions(&caller.tenant(), &subject)
            .await?
            .into_iter()
            // A staff id and a user id never collide (UUIDv7), but the kind asked is the kind
            // answered.
            .filter(|s| kind.is_empty() || s.principal_kind == kind)
            .collect();
        let list = format!("sessions:{kind}:{subject}");
        let (rows, page) = crate::grpc::paging::page(&list, rows, req.page.as_ref(), 200)?;
        Ok(pb::ListSessionsResponse {
            sessions: rows
                .iter()
                .map(|s| session_view(s, caller.sid.as_deref()))
                .collect(),
            page: Some(page),
        })
    }

    /// RevokeSession: own sessions, or those the caller administers.
    pub(super) async fn revoke(
        &self,
        request: Request<pb::RevokeSessionRequest>,
    ) -> Result<pb::RevokeSessionResponse, Status> {
        let caller = Caller::of(&request)?;
        let req = request.get_ref();
        let session_id = id("session_id", &req.session_id)?.to_string();
        let reason = req.reason.trim().to_owned();
        if reason.chars().count() > 500 {
            return Err(AppError::invalid("reason", "must be at most 500 characters").into());
        }
        let session = self
            .app
            .manageable_session(&caller.ctx, &session_id)
            .await?;
        let actor = owned_actor(&caller);
        self.mutate(
            &request,
            &caller.tenant(),
            "RevokeSession",
            move |app, txn| {
                Box::pin(async move {
                    app.revoke_session_by(txn, &session, (&actor.0, &actor.1), &reason)
                        .await?;
                    Ok(pb::RevokeSessionResponse {})
                })
            },
        )
        .await
    }
}

fn session_view(s: &SessionRow, current: Option<&str>) -> pb::Session {
    let kind = match s.principal_kind.as_str() {
        "staff" => pb::PrincipalKind::Staff,
        _ => pb::PrincipalKind::Consumer,
    };
    pb::Session {
        session_id: s.id.clone(),
        principal_kind: kind as i32,
        subject_id: s.subject_id.clone(),
        login_method: s.login_method.clone(),
        app_id: s.app_id.clone(),
        user_agent: s.user_agent.clone(),
        ip_masked: s.ip_masked.clone(),
        create_time: Some(timestamp(s.created_at)),
        last_refresh_time: Some(timestamp(s.last_refresh_at)),
        expire_time: Some(timestamp(s.expires_at)),
        current: current == Some(s.id.as_str()),
    }
}
