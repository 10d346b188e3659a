//! TokenService: refresh, logout, and session listing and revocation, for oneself and for the
//! admins the contract names (see `app::tokens::session_admin`).

use std::sync::Arc;

use siyu_proto::identity::v1 as pb;
use siyu_proto::time::timestamp;
use siyu_server::Paging;
use tonic::{Request, Response};

use crate::error::AppError;
use crate::grpc::ids::{id, opt_id};
use crate::grpc::tokens::token_pair;
use crate::grpc::{Api, Caller, R, count, owned_actor, page, record};
use crate::repo::tokens::SubjectKind;
use crate::repo::tokens::sessions::Session;

/// The pages of ListSessions.
const SESSIONS: Paging = Paging::new("sessions", 50, 200);

/// RefreshSession: de-duplicated by key, never replayed (it mints tokens).
#[tracing::instrument(skip_all)]
pub(super) async fn refresh(
    api: &Api,
    request: Request<pb::RefreshSessionRequest>,
) -> R<pb::RefreshSessionResponse> {
    let token = &request.get_ref().refresh_token;
    let issued = api
        .mutations
        .dedupe(&request, "refresh", async {
            Ok(api.app.refresh(token).await?)
        })
        .await?;
    Ok(Response::new(pb::RefreshSessionResponse {
        tokens: Some(token_pair(&issued)),
    }))
}

/// Logout: ends the caller's session, or the session of a refresh token of the caller.
#[tracing::instrument(skip_all, fields(session_id))]
pub(super) async fn logout(
    api: &Api,
    request: Request<pb::LogoutRequest>,
) -> R<pb::LogoutResponse> {
    let caller = Caller::of(&request)?;
    let refresh = &request.get_ref().refresh_token;
    let sid = api
        .app
        .session_to_log_out(&caller.ctx, caller.sid.as_deref(), refresh)
        .await?;
    if let Some(sid) = &sid {
        record("session_id", sid);
    }
    let (app, ctx) = (Arc::clone(&api.app), caller.ctx);
    api.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                if let Some(sid) = sid {
                    app.log_out(txn, &ctx, &sid).await?;
                }
                Ok(pb::LogoutResponse {})
            })
        })
        .await
}

/// LogoutEverywhere: ends every session of the caller, optionally but the current one.
#[tracing::instrument(skip_all)]
pub(super) async fn logout_everywhere(
    api: &Api,
    request: Request<pb::LogoutEverywhereRequest>,
) -> R<pb::LogoutEverywhereResponse> {
    let caller = Caller::of(&request)?;
    let keep = request
        .get_ref()
        .keep_current
        .then_some(caller.sid)
        .flatten();
    let (app, ctx) = (Arc::clone(&api.app), caller.ctx);
    api.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let n = app.log_out_everywhere(txn, &ctx, keep.as_deref()).await?;
                Ok(pb::LogoutEverywhereResponse {
                    revoked_session_count: count(n),
                })
            })
        })
        .await
}

/// ListSessions: the caller's, or a named staff member's / consumer's for admins.
#[tracing::instrument(skip_all, fields(subject_id))]
pub(super) async fn list(
    api: &Api,
    request: Request<pb::ListSessionsRequest>,
) -> R<pb::ListSessionsResponse> {
    let caller = Caller::of(&request)?;
    let req = request.get_ref();
    let other = other_subject(req, &caller.ctx.principal.subject)?;
    if let Some((_, subject)) = &other {
        record("subject_id", subject);
    }
    let other = other.as_ref().map(|(kind, id)| (*kind, id.as_str()));
    let rows = api.app.list_sessions(&caller.ctx, other).await?;
    let (rows, page) = page(&SESSIONS, rows, req.page.as_ref())?;
    Ok(Response::new(pb::ListSessionsResponse {
        sessions: rows
            .iter()
            .map(|s| session_view(s, caller.sid.as_deref()))
            .collect(),
        page: Some(page),
    }))
}

/// RevokeSession: own sessions, or those the caller administers.
#[tracing::instrument(skip_all, fields(session_id))]
pub(super) async fn revoke(
    api: &Api,
    request: Request<pb::RevokeSessionRequest>,
) -> R<pb::RevokeSessionResponse> {
    let caller = Caller::of(&request)?;
    let req = request.get_ref();
    let sid = id("session_id", &req.session_id)?;
    record("session_id", sid);
    let reason = req.reason.trim().to_owned();
    if reason.chars().count() > 500 {
        return Err(AppError::invalid("reason", "must be at most 500 characters").into());
    }
    let session = api
        .app
        .manageable_session(&caller.ctx, &sid.to_string())
        .await?;
    let (app, actor) = (Arc::clone(&api.app), owned_actor(&caller));
    api.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                app.revoke_session_by(txn, &session, (&actor.0, &actor.1), &reason)
                    .await?;
                Ok(pb::RevokeSessionResponse {})
            })
        })
        .await
}

/// The (kind, id) of another subject whose sessions a ListSessions asks for; `None` for the
/// caller's own (no `subject_id`, or the caller's).
fn other_subject(
    req: &pb::ListSessionsRequest,
    own: &str,
) -> Result<Option<(SubjectKind, String)>, AppError> {
    let Some(subject) = opt_id("subject_id", &req.subject_id)?.map(|id| id.to_string()) else {
        return Ok(None);
    };
    if subject == own {
        return Ok(None);
    }
    let kind = match pb::PrincipalKind::try_from(req.principal_kind) {
        Ok(pb::PrincipalKind::Staff) => SubjectKind::Staff,
        Ok(pb::PrincipalKind::Consumer) => SubjectKind::Consumer,
        _ => {
            return Err(AppError::invalid(
                "principal_kind",
                "must be STAFF or CONSUMER with subject_id",
            ));
        }
    };
    Ok(Some((kind, subject)))
}

fn session_view(s: &Session, current: Option<&str>) -> pb::Session {
    let kind = match s.principal_kind {
        SubjectKind::Staff => pb::PrincipalKind::Staff,
        SubjectKind::Consumer => pb::PrincipalKind::Consumer,
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
