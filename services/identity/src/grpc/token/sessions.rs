//! TokenService: session listing and revocation, for oneself and for the admins the contract
//! names (see `app::session_admin`).

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Status};

use crate::error::AppError;
use crate::grpc::token::session_view;
use crate::grpc::{TokenApi, owned_actor};

impl TokenApi {
    /// ListSessions: the caller's, or a named staff member's / consumer's for admins.
    pub(super) async fn sessions(
        &self,
        request: Request<pb::ListSessionsRequest>,
    ) -> Result<pb::ListSessionsResponse, Status> {
        let caller = self.authenticate(&request).await?;
        let req = request.get_ref();
        let own = &caller.ctx.principal.subject;
        let (kind, subject) = if req.subject_id.is_empty() || req.subject_id == *own {
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
            if req.subject_id.len() > 64 {
                return Err(AppError::invalid("subject_id", "is too long").into());
            }
            self.app
                .check_session_admin(&caller.ctx, kind, &req.subject_id)
                .await?;
            (kind.to_owned(), req.subject_id.clone())
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
        let (rows, page) = crate::grpc::org::page(&list, rows, req.page.as_ref(), 200)?;
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
        let caller = self.authenticate(&request).await?;
        let req = request.get_ref();
        if req.session_id.is_empty() || req.session_id.len() > 64 {
            return Err(AppError::NotFound("SESSION_NOT_FOUND").into());
        }
        let reason = req.reason.trim().to_owned();
        if reason.chars().count() > 500 {
            return Err(AppError::invalid("reason", "must be at most 500 characters").into());
        }
        let session = self
            .app
            .manageable_session(&caller.ctx, &req.session_id)
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
