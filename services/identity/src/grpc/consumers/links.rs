//! LinkIdentity and UnlinkIdentity handlers (inherent methods the `UserService` impl delegates
//! to): authenticate → check caller → parse → app → reply.

use siyu_core::PrincipalKind;
use siyu_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};

use crate::app::consumers::links::NewLink;
use crate::error::AppError;
use crate::grpc::consumers::access::{reason, target};
use crate::grpc::consumers::convert::identity_pb;
use crate::grpc::ids::id;
use crate::grpc::{Caller, UserApi};

impl UserApi {
    /// LinkIdentity.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn link_identity_rpc(
        &self,
        request: Request<pb::LinkIdentityRequest>,
    ) -> Result<Response<pb::LinkIdentityResponse>, Status> {
        let caller = Caller::of(&request)?;
        let req = request.get_ref();
        let t = target(&caller, &req.user_id)?;
        let link = self.new_link(&caller, req).await?;
        let tenant = caller.tenant();
        let scope = tenant.clone();
        let reply = self
            .mutate(&request, &scope, "LinkIdentity", move |app, txn| {
                Box::pin(async move {
                    let (row, source) = app
                        .link_identity(txn, &tenant, &t.user_id, link, &t.actor)
                        .await?;
                    Ok(pb::LinkIdentityResponse {
                        identity: Some(identity_pb(&row, &source)),
                    })
                })
            })
            .await?;
        Ok(Response::new(reply))
    }

    /// The link a LinkIdentity request asks for, or every field violation at once.
    async fn new_link(
        &self,
        caller: &Caller,
        req: &pb::LinkIdentityRequest,
    ) -> Result<NewLink, AppError> {
        let kind_of = caller.ctx.principal.kind;
        let (kind, scoped) = match pb::IdentityKind::try_from(req.kind) {
            Ok(pb::IdentityKind::WechatOpenid) => ("OPENID", true),
            Ok(pb::IdentityKind::WechatUnionid) => ("UNIONID", false),
            Ok(pb::IdentityKind::WecomExternalUserId) => ("WECOM", true),
            Ok(pb::IdentityKind::MemberCardNo) => ("CARD", false),
            Ok(pb::IdentityKind::Phone) => return Err(not_linkable("phones are bound verified")),
            _ => return Err(AppError::invalid("kind", "must name an identity kind")),
        };
        if kind == "UNIONID" && kind_of != PrincipalKind::Service {
            return Err(not_linkable("only services link unionids"));
        }
        if kind_of == PrincipalKind::Partner && !matches!(kind, "WECOM" | "CARD") {
            return Err(AppError::PermissionDenied("PERMISSION_DENIED"));
        }
        let mut fields = Vec::new();
        let app_id = req.app_id.trim();
        if scoped && (app_id.is_empty() || app_id.len() > 64) {
            fields.push(("app_id".to_owned(), "must be 1..64 characters".to_owned()));
        } else if !scoped && !app_id.is_empty() {
            fields.push((
                "app_id".to_owned(),
                "must be empty for this kind".to_owned(),
            ));
        }
        let value = req.value.trim();
        if value.is_empty() || value.len() > 128 || value.chars().any(char::is_control) {
            fields.push(("value".to_owned(), "must be 1..128 characters".to_owned()));
        }
        if req.source.len() > 32 {
            fields.push((
                "source".to_owned(),
                "must be at most 32 characters".to_owned(),
            ));
        }
        if !fields.is_empty() {
            return Err(AppError::InvalidArgument {
                reason: "INVALID_ARGUMENT",
                fields,
            });
        }
        if kind == "OPENID" {
            // An openid belongs to one of the tenant's apps (an official account for OA login).
            let own = match self.app.resolve_app(app_id).await {
                Ok(resolved) => resolved.tenant.id == caller.tenant(),
                Err(AppError::NotFound(_) | AppError::FailedPrecondition(_)) => false,
                Err(err) => return Err(err),
            };
            if !own {
                return Err(AppError::invalid("app_id", "is not an app of the tenant"));
            }
        }
        let source = if req.source.trim().is_empty() {
            crate::app::kind_name(kind_of).to_owned()
        } else {
            req.source.trim().to_owned()
        };
        Ok(NewLink {
            kind,
            scope: app_id.to_owned(),
            value: value.to_owned(),
            source,
        })
    }

    /// UnlinkIdentity.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn unlink_identity_rpc(
        &self,
        request: Request<pb::UnlinkIdentityRequest>,
    ) -> Result<Response<pb::UnlinkIdentityResponse>, Status> {
        let caller = Caller::of(&request)?;
        let req = request.get_ref();
        let t = target(&caller, &req.user_id)?;
        let identity_id = id("identity_id", req.identity_id.trim())?.to_string();
        let why = reason(&req.reason, false)?;
        let tenant = caller.tenant();
        let scope = tenant.clone();
        let reply = self
            .mutate(&request, &scope, "UnlinkIdentity", move |app, txn| {
                Box::pin(async move {
                    app.unlink_identity(txn, &tenant, &t.user_id, &identity_id, &why, &t.actor)
                        .await?;
                    Ok(pb::UnlinkIdentityResponse {})
                })
            })
            .await?;
        Ok(Response::new(reply))
    }
}

fn not_linkable(why: &str) -> AppError {
    AppError::invalid_with("IDENTITY_KIND_NOT_LINKABLE", "kind", why)
}
