//! LookupUsers and RevealUserPhone (inherent handlers the `UserService` impl delegates to).

use crate::app::consumers::lookups::Lookup;
use siyu_core::PrincipalKind;
use siyu_proto::identity::v1 as pb;
use tonic::{Request, Status};

use crate::error::AppError;
use crate::grpc::consumers::access::{actor, target};
use crate::grpc::consumers::convert::user_pb;
use crate::grpc::{Caller, UserApi};
use crate::otp::{mask_phone, normalize_phone};
use siyu_proto::time::timestamp;

impl UserApi {
    /// LookupUsers: exact look-ups by identity.
    pub(crate) async fn lookup_users_rpc(
        &self,
        request: Request<pb::LookupUsersRequest>,
    ) -> Result<pb::LookupUsersResponse, Status> {
        let caller = Caller::of(&request)?;
        let actor = actor(&caller);
        let req = request.get_ref();
        let (kind, scoped) = match pb::IdentityKind::try_from(req.kind) {
            Ok(pb::IdentityKind::WechatOpenid) => ("OPENID", true),
            Ok(pb::IdentityKind::WechatUnionid) => ("UNIONID", false),
            Ok(pb::IdentityKind::Phone) => ("PHONE", false),
            Ok(pb::IdentityKind::WecomExternalUserId) => ("WECOM", true),
            Ok(pb::IdentityKind::MemberCardNo) => ("CARD", false),
            _ => return Err(AppError::invalid("kind", "must name an identity kind").into()),
        };
        if req.value.trim().is_empty() || req.value.len() > 128 {
            return Err(AppError::invalid("value", "must be 1..128 characters").into());
        }
        if req.app_id.len() > 64 {
            return Err(AppError::invalid("app_id", "must be at most 64 characters").into());
        }
        let value = if kind == "PHONE" {
            normalize_phone(&req.value)
                .ok_or_else(|| AppError::invalid("value", "not a mainland mobile number"))?
        } else {
            req.value.trim().to_owned()
        };
        let scope = (scoped && !req.app_id.is_empty()).then_some(req.app_id.as_str());
        let query = Lookup {
            kind,
            scope: if scoped { scope } else { Some("") },
            value: &value,
            include_inactive: req.include_inactive,
        };
        let staff = (caller.ctx.principal.kind == PrincipalKind::Staff).then_some(&actor);
        let found = self
            .app
            .lookup_users(&caller.tenant(), query, staff)
            .await?;
        let users = found
            .iter()
            .map(|v| {
                let status = user_pb(&v.user).status;
                pb::UserSummary {
                    user_id: v.user.id.clone(),
                    status,
                    nickname: v.profile.nickname.clone(),
                    avatar_url: v.profile.avatar_url.clone(),
                    phone_masked: v.user.phone.as_deref().map(mask_phone).unwrap_or_default(),
                    create_time: Some(timestamp(v.user.created_at)),
                    matched_kind: req.kind,
                }
            })
            .collect();
        Ok(pb::LookupUsersResponse { users })
    }

    /// RevealUserPhone: audited, limited per staff member and day.
    pub(crate) async fn reveal_user_phone_rpc(
        &self,
        request: Request<pb::RevealUserPhoneRequest>,
    ) -> Result<pb::RevealUserPhoneResponse, Status> {
        let caller = Caller::of(&request)?;
        let req = request.get_ref();
        let t = target(&caller, &req.user_id)?;
        let reason = req.reason.trim();
        let n = reason.chars().count();
        if !(4..=200).contains(&n) {
            return Err(AppError::invalid("reason", "must be 4..200 characters").into());
        }
        let phone = self
            .app
            .reveal_phone(&caller.tenant(), &t.user_id, reason, &t.actor)
            .await?;
        Ok(pb::RevealUserPhoneResponse { phone })
    }
}
