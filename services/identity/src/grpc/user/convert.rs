//! User, identity, merge and consent → proto conversions (shared with ConsumerAuthService).

use siyu_core::PrincipalKind;
use siyu_proto::identity::v1 as pb;

use crate::app::merge::Merged;
use crate::app::phone_bind::Binding;
use crate::app::users::UserView;
use crate::events::timestamp;
use crate::grpc::Caller;
use crate::grpc::user::input::{Target, consent_pb_kind, gender_pb};
use crate::otp::mask_phone;
use crate::repo::merges::IdentityRow;
use crate::repo::profiles::ConsentRow;
use crate::repo::users::UserRow;

/// A user as `caller` may see it: phone masked for staff/partners, unionid omitted for
/// partners.
pub fn view_pb(view: &UserView, t: &Target, caller: &Caller) -> pb::User {
    let mut user = user_pb(&view.user);
    let p = &view.profile;
    user.profile = Some(pb::UserProfile {
        nickname: p.nickname.clone(),
        avatar_url: p.avatar_url.clone(),
        gender: gender_pb(&p.gender) as i32,
        birthday: p.birthday.clone(),
    });
    if t.masked && !user.phone.is_empty() {
        user.phone = mask_phone(&user.phone);
        user.phone_masked = true;
    }
    if caller.ctx.principal.kind == PrincipalKind::Partner {
        user.unionid.clear();
    }
    user
}

/// A consent record.
pub fn consent_pb(row: &ConsentRow) -> pb::ConsentRecord {
    let (kind, channel) = consent_pb_kind(&row.kind, &row.channel);
    pb::ConsentRecord {
        consent_id: row.id.clone(),
        user_id: row.user_id.clone(),
        kind: kind as i32,
        channel: channel as i32,
        version: row.version.clone(),
        granted: row.granted,
        source: row.source.clone(),
        ip_masked: row.ip_masked.clone(),
        record_time: Some(timestamp(row.created_at)),
    }
}

/// The consumer's own view of a user (phone unmasked).
pub fn user_pb(user: &UserRow) -> pb::User {
    let status = match user.status.as_str() {
        "ACTIVE" => pb::UserStatus::Active,
        "BLOCKED" => pb::UserStatus::Blocked,
        "MERGED" => pb::UserStatus::Merged,
        "ERASED" => pb::UserStatus::Erased,
        _ => pb::UserStatus::Unspecified,
    };
    pb::User {
        user_id: user.id.clone(),
        status: status as i32,
        phone: user.phone.clone().unwrap_or_default(),
        merged_into_user_id: user.merged_into.clone().unwrap_or_default(),
        create_time: Some(timestamp(user.created_at)),
        update_time: Some(timestamp(user.updated_at)),
        ..Default::default()
    }
}

/// A linked identity (value as stored: the consumer's own view).
pub fn identity_pb(identity: &IdentityRow, source: &str) -> pb::LinkedIdentity {
    let (kind, login_capable) = match identity.kind.as_str() {
        "OPENID" => (pb::IdentityKind::WechatOpenid, true),
        "UNIONID" => (pb::IdentityKind::WechatUnionid, false),
        "PHONE" => (pb::IdentityKind::Phone, true),
        "WECOM" => (pb::IdentityKind::WecomExternalUserId, false),
        "CARD" => (pb::IdentityKind::MemberCardNo, false),
        _ => (pb::IdentityKind::Unspecified, false),
    };
    pb::LinkedIdentity {
        identity_id: identity.id.clone(),
        kind: kind as i32,
        app_id: identity.scope.clone(),
        value: identity.value.clone(),
        source: source.to_owned(),
        login_capable,
        link_time: Some(timestamp(identity.created_at)),
    }
}

/// A merge record with the identities it moved.
pub fn merge_pb(merge: &Merged) -> pb::UserMerge {
    let row = &merge.row;
    pb::UserMerge {
        merge_id: row.id.clone(),
        kept_user_id: row.kept_user_id.clone(),
        merged_user_id: row.merged_user_id.clone(),
        moved_identities: merge
            .moved
            .iter()
            .map(|i| identity_pb(i, "merge"))
            .collect(),
        reason: row.reason.clone(),
        actor: row.actor.clone(),
        merge_time: Some(timestamp(row.created_at)),
        reverse_time: None,
        reversed_by: String::new(),
    }
}

/// The outcome of a phone binding.
pub fn binding_pb(binding: &Binding) -> pb::PhoneBinding {
    pb::PhoneBinding {
        user: Some(user_pb(&binding.user)),
        merged: binding.merge.is_some(),
        merge: binding.merge.as_ref().map(merge_pb),
        tokens: binding.issued.as_ref().map(crate::grpc::tokens::token_pair),
    }
}
