//! UserService: GetUser, BatchGetUsers and ListLinkedIdentities — a consumer sees itself,
//! staff and partners see phones masked.

use siyu_core::PrincipalKind;
use siyu_proto::identity::v1 as pb;
use tonic::{Request, Response};

use crate::error::AppError;
use crate::grpc::consumers::access::target;
use crate::grpc::consumers::convert::{identity_pb, view_pb};
use crate::grpc::ids::ids;
use crate::grpc::{Api, Caller, R, record};
use crate::otp::mask_phone;
use crate::repo::consumers::IdentityKind;

/// GetUser.
#[tracing::instrument(skip_all, fields(user_id))]
pub(crate) async fn get(api: &Api, request: Request<pb::GetUserRequest>) -> R<pb::GetUserResponse> {
    let caller = Caller::of(&request)?;
    let t = target(&caller, &request.get_ref().user_id)?;
    record("user_id", &t.user_id);
    let view = api.app.user_view(caller.tenant(), &t.user_id).await?;
    Ok(Response::new(pb::GetUserResponse {
        user: Some(view_pb(&view, t.masked, caller.ctx.principal.kind)),
    }))
}

/// BatchGetUsers: the users found in the tenant, in request order (staff see phones masked,
/// services in full: the contract admits no other kind).
#[tracing::instrument(skip_all)]
pub(crate) async fn batch_get(
    api: &Api,
    request: Request<pb::BatchGetUsersRequest>,
) -> R<pb::BatchGetUsersResponse> {
    let caller = Caller::of(&request)?;
    let named = &request.get_ref().user_ids;
    if named.is_empty() || named.len() > 200 {
        return Err(AppError::invalid("user_ids", "must hold 1..200 ids").into());
    }
    let user_ids: Vec<String> = ids("user_ids", named)?
        .iter()
        .map(ToString::to_string)
        .collect();
    let kind = caller.ctx.principal.kind;
    let masked = kind != PrincipalKind::Service;
    let views = api.app.user_views(caller.tenant(), &user_ids).await?;
    Ok(Response::new(pb::BatchGetUsersResponse {
        users: views.iter().map(|v| view_pb(v, masked, kind)).collect(),
    }))
}

/// ListLinkedIdentities: a consumer sees the openids of its session's app only.
#[tracing::instrument(skip_all, fields(user_id))]
pub(crate) async fn linked_identities(
    api: &Api,
    request: Request<pb::ListLinkedIdentitiesRequest>,
) -> R<pb::ListLinkedIdentitiesResponse> {
    let caller = Caller::of(&request)?;
    let t = target(&caller, &request.get_ref().user_id)?;
    record("user_id", &t.user_id);
    let rows = api
        .app
        .linked_identities(caller.tenant(), &t.user_id)
        .await?;
    let own_app = match caller.ctx.principal.kind {
        PrincipalKind::Consumer => Some(api.app.session_app(caller.sid.as_deref()).await?),
        _ => None,
    };
    let identities = rows
        .iter()
        .filter(|i| {
            own_app
                .as_ref()
                .is_none_or(|app| i.kind != IdentityKind::Openid || &i.scope == app)
        })
        .map(|i| {
            let mut pb = identity_pb(i, "");
            if t.masked && i.kind == IdentityKind::Phone {
                pb.value = mask_phone(&i.value);
            }
            pb
        })
        .collect();
    Ok(Response::new(pb::ListLinkedIdentitiesResponse {
        identities,
    }))
}
