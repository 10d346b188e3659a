//! UserService: LinkIdentity and UnlinkIdentity.

use std::sync::Arc;

use siyu_core::PrincipalKind;
use siyu_proto::identity::v1 as pb;
use tonic::Request;

use crate::app::consumers::links::NewLink;
use crate::error::AppError;
use crate::grpc::consumers::access::{reason, target};
use crate::grpc::consumers::convert::identity_pb;
use crate::grpc::ids::id;
use crate::grpc::{Api, Caller, R, record};
use crate::repo::consumers::IdentityKind;

/// LinkIdentity: a unionid (services), a WeCom contact or member card (partners too), an
/// openid of one of the tenant's apps.
#[tracing::instrument(skip_all, fields(user_id))]
pub(crate) async fn link(
    api: &Api,
    request: Request<pb::LinkIdentityRequest>,
) -> R<pb::LinkIdentityResponse> {
    let caller = Caller::of(&request)?;
    let req = request.get_ref();
    let t = target(&caller, &req.user_id)?;
    record("user_id", &t.user_id);
    let link = link_in(caller.ctx.principal.kind, req)?;
    if link.kind == IdentityKind::Openid {
        api.app
            .require_tenant_app(caller.tenant(), &link.scope, "app_id")
            .await?;
    }
    let (app, tenant) = (Arc::clone(&api.app), caller.tenant());
    api.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let (row, source) = app
                    .link_identity(txn, tenant, &t.user_id, link, &t.actor)
                    .await?;
                Ok(pb::LinkIdentityResponse {
                    identity: Some(identity_pb(&row, &source)),
                })
            })
        })
        .await
}

/// UnlinkIdentity (a consumer keeps its last way in).
#[tracing::instrument(skip_all, fields(user_id, identity_id))]
pub(crate) async fn unlink(
    api: &Api,
    request: Request<pb::UnlinkIdentityRequest>,
) -> R<pb::UnlinkIdentityResponse> {
    let caller = Caller::of(&request)?;
    let req = request.get_ref();
    let t = target(&caller, &req.user_id)?;
    let identity_id = id("identity_id", req.identity_id.trim())?.to_string();
    record("user_id", &t.user_id);
    record("identity_id", &identity_id);
    let why = reason(&req.reason, false)?;
    let (app, tenant) = (Arc::clone(&api.app), caller.tenant());
    api.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                app.unlink_identity(txn, tenant, &t.user_id, &identity_id, &why, &t.actor)
                    .await?;
                Ok(pb::UnlinkIdentityResponse {})
            })
        })
        .await
}

/// The link a LinkIdentity request asks for, or every field violation at once. Partners link
/// only WeCom ids and card numbers, and only services link unionids.
fn link_in(kind_of: PrincipalKind, req: &pb::LinkIdentityRequest) -> Result<NewLink, AppError> {
    let (kind, scoped) = match pb::IdentityKind::try_from(req.kind) {
        Ok(pb::IdentityKind::WechatOpenid) => (IdentityKind::Openid, true),
        Ok(pb::IdentityKind::WechatUnionid) => (IdentityKind::Unionid, false),
        Ok(pb::IdentityKind::WecomExternalUserId) => (IdentityKind::Wecom, true),
        Ok(pb::IdentityKind::MemberCardNo) => (IdentityKind::Card, false),
        Ok(pb::IdentityKind::Phone) => return Err(not_linkable("phones are bound verified")),
        _ => return Err(AppError::invalid("kind", "must name an identity kind")),
    };
    if kind == IdentityKind::Unionid && kind_of != PrincipalKind::Service {
        return Err(not_linkable("only services link unionids"));
    }
    if kind_of == PrincipalKind::Partner
        && !matches!(kind, IdentityKind::Wecom | IdentityKind::Card)
    {
        return Err(AppError::PermissionDenied);
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
    let source = match req.source.trim() {
        "" => crate::app::kind_name(kind_of).to_owned(),
        given => given.to_owned(),
    };
    Ok(NewLink {
        kind,
        scope: app_id.to_owned(),
        value: value.to_owned(),
        source,
    })
}

fn not_linkable(why: &str) -> AppError {
    AppError::invalid_with("IDENTITY_KIND_NOT_LINKABLE", "kind", why)
}
