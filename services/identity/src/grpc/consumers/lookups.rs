//! UserService: LookupUsers and RevealUserPhone.

use siyu_core::PrincipalKind;
use siyu_proto::identity::v1 as pb;
use siyu_proto::time::timestamp;
use tonic::{Request, Response};

use crate::app::consumers::lookups::Lookup;
use crate::error::AppError;
use crate::grpc::consumers::access::{actor, target};
use crate::grpc::consumers::convert::user_pb;
use crate::grpc::{Api, Caller, R, record};
use crate::otp::{mask_phone, normalize_phone};
use crate::repo::consumers::IdentityKind;

/// LookupUsers: exact look-ups by identity (staff look-ups are audited by value digest).
#[tracing::instrument(skip_all)]
pub(crate) async fn lookup(
    api: &Api,
    request: Request<pb::LookupUsersRequest>,
) -> R<pb::LookupUsersResponse> {
    let caller = Caller::of(&request)?;
    let req = request.get_ref();
    let (kind, scoped, value) = lookup_in(req)?;
    let scope = (scoped && !req.app_id.is_empty()).then_some(req.app_id.as_str());
    let query = Lookup {
        kind,
        scope: if scoped { scope } else { Some("") },
        value: &value,
        include_inactive: req.include_inactive,
    };
    let actor = actor(&caller);
    let staff = (caller.ctx.principal.kind == PrincipalKind::Staff).then_some(&actor);
    let found = api.app.lookup_users(caller.tenant(), query, staff).await?;
    let users = found
        .iter()
        .map(|v| pb::UserSummary {
            user_id: v.user.id.clone(),
            status: user_pb(&v.user).status,
            nickname: v.profile.nickname.clone(),
            avatar_url: v.profile.avatar_url.clone(),
            phone_masked: v.user.phone.as_deref().map(mask_phone).unwrap_or_default(),
            create_time: Some(timestamp(v.user.created_at)),
            matched_kind: req.kind,
        })
        .collect();
    Ok(Response::new(pb::LookupUsersResponse { users }))
}

/// RevealUserPhone: audited with the reason, limited per staff member and day.
#[tracing::instrument(skip_all, fields(user_id))]
pub(crate) async fn reveal_phone(
    api: &Api,
    request: Request<pb::RevealUserPhoneRequest>,
) -> R<pb::RevealUserPhoneResponse> {
    let caller = Caller::of(&request)?;
    let req = request.get_ref();
    let t = target(&caller, &req.user_id)?;
    record("user_id", &t.user_id);
    let reason = req.reason.trim();
    if !(4..=200).contains(&reason.chars().count()) {
        return Err(AppError::invalid("reason", "must be 4..200 characters").into());
    }
    let phone = api
        .app
        .reveal_phone(caller.tenant(), &t.user_id, reason, &t.actor)
        .await?;
    Ok(Response::new(pb::RevealUserPhoneResponse { phone }))
}

/// (kind, scoped by app, normalized value) of a LookupUsers request.
fn lookup_in(req: &pb::LookupUsersRequest) -> Result<(IdentityKind, bool, String), AppError> {
    let (kind, scoped) = match pb::IdentityKind::try_from(req.kind) {
        Ok(pb::IdentityKind::WechatOpenid) => (IdentityKind::Openid, true),
        Ok(pb::IdentityKind::WechatUnionid) => (IdentityKind::Unionid, false),
        Ok(pb::IdentityKind::Phone) => (IdentityKind::Phone, false),
        Ok(pb::IdentityKind::WecomExternalUserId) => (IdentityKind::Wecom, true),
        Ok(pb::IdentityKind::MemberCardNo) => (IdentityKind::Card, false),
        _ => return Err(AppError::invalid("kind", "must name an identity kind")),
    };
    if req.value.trim().is_empty() || req.value.len() > 128 {
        return Err(AppError::invalid("value", "must be 1..128 characters"));
    }
    if req.app_id.len() > 64 {
        return Err(AppError::invalid("app_id", "must be at most 64 characters"));
    }
    let value = if kind == IdentityKind::Phone {
        normalize_phone(&req.value)
            .ok_or_else(|| AppError::invalid("value", "not a mainland mobile number"))?
    } else {
        req.value.trim().to_owned()
    };
    Ok((kind, scoped, value))
}
