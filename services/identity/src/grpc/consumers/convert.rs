//! User, identity, merge and phone-binding → proto conversions, and the wire names of genders
//! and consent kinds (shared by UserService, ConsumerAuthService and the merge handlers).

use siyu_core::PrincipalKind;
use siyu_proto::identity::v1 as pb;
use siyu_proto::time::timestamp;

use crate::app::consumers::phone_bind::Binding;
use crate::app::consumers::users::UserView;
use crate::app::merges::merge::Merged;
use crate::otp::mask_phone;
use crate::repo::consumers::identities::LinkedIdentity;
use crate::repo::consumers::users::User;
use crate::repo::consumers::{Gender, IdentityKind, UserStatus};
use crate::repo::privacy::{ConsentChannel, ConsentKind};

/// A user as a caller of `kind` may see it: phone masked when `masked` (staff, partners),
/// unionid omitted for partners.
pub fn view_pb(view: &UserView, masked: bool, kind: PrincipalKind) -> pb::User {
    let mut user = user_pb(&view.user);
    let p = &view.profile;
    user.profile = Some(pb::UserProfile {
        nickname: p.nickname.clone(),
        avatar_url: p.avatar_url.clone(),
        gender: gender_pb(p.gender) as i32,
        birthday: p.birthday.clone(),
    });
    if masked && !user.phone.is_empty() {
        user.phone = mask_phone(&user.phone);
        user.phone_masked = true;
    }
    if kind == PrincipalKind::Partner {
        user.unionid.clear();
    }
    user
}

/// The consumer's own view of a user (phone unmasked).
pub fn user_pb(user: &User) -> pb::User {
    let status = match user.status {
        UserStatus::Active => pb::UserStatus::Active,
        UserStatus::Blocked => pb::UserStatus::Blocked,
        UserStatus::Merged => pb::UserStatus::Merged,
        UserStatus::Erased => pb::UserStatus::Erased,
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
pub fn identity_pb(identity: &LinkedIdentity, source: &str) -> pb::LinkedIdentity {
    let kind = match identity.kind {
        IdentityKind::Openid => pb::IdentityKind::WechatOpenid,
        IdentityKind::Unionid => pb::IdentityKind::WechatUnionid,
        IdentityKind::Phone => pb::IdentityKind::Phone,
        IdentityKind::Wecom => pb::IdentityKind::WecomExternalUserId,
        IdentityKind::Card => pb::IdentityKind::MemberCardNo,
    };
    pb::LinkedIdentity {
        identity_id: identity.id.clone(),
        kind: kind as i32,
        app_id: identity.scope.clone(),
        value: identity.value.clone(),
        source: source.to_owned(),
        login_capable: identity.kind.logs_in(),
        link_time: Some(timestamp(identity.created_at)),
    }
}

/// A merge record with the identities it moved.
pub fn merge_pb(merge: &Merged) -> pb::UserMerge {
    let row = &merge.merge;
    pb::UserMerge {
        merge_id: row.id.clone(),
        kept_user_id: row.kept_user_id.clone(),
        merged_user_id: row.merged_user_id.clone(),
        moved_identities: merge
            .moved
            .iter()
            .map(|i| identity_pb(i, "merge"))
            .collect(),
        reason: row.reason.as_str().to_owned(),
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

/// The proto gender of a stored spelling.
pub fn gender_pb(gender: Option<Gender>) -> pb::Gender {
    match gender {
        Some(Gender::Male) => pb::Gender::Male,
        Some(Gender::Female) => pb::Gender::Female,
        Some(Gender::Other) => pb::Gender::Other,
        None => pb::Gender::Unspecified,
    }
}

/// The stored spelling of a consent channel ('' = none).
pub(crate) fn channel_of(c: pb::ConsentChannel) -> Option<ConsentChannel> {
    match c {
        pb::ConsentChannel::Unspecified => None,
        pb::ConsentChannel::Sms => Some(ConsentChannel::Sms),
        pb::ConsentChannel::Wechat => Some(ConsentChannel::Wechat),
        pb::ConsentChannel::Wecom => Some(ConsentChannel::Wecom),
        pb::ConsentChannel::InApp => Some(ConsentChannel::InApp),
        pb::ConsentChannel::PhoneCall => Some(ConsentChannel::PhoneCall),
        pb::ConsentChannel::Email => Some(ConsentChannel::Email),
    }
}

/// The proto kind and channel of stored names.
pub fn consent_pb_kind(
    kind: ConsentKind,
    channel: Option<ConsentChannel>,
) -> (pb::ConsentKind, pb::ConsentChannel) {
    let k = match kind {
        ConsentKind::PrivacyPolicy => pb::ConsentKind::PrivacyPolicy,
        ConsentKind::TermsOfService => pb::ConsentKind::TermsOfService,
        ConsentKind::Marketing => pb::ConsentKind::Marketing,
    };
    let c = match channel {
        None => pb::ConsentChannel::Unspecified,
        Some(ConsentChannel::Sms) => pb::ConsentChannel::Sms,
        Some(ConsentChannel::Wechat) => pb::ConsentChannel::Wechat,
        Some(ConsentChannel::Wecom) => pb::ConsentChannel::Wecom,
        Some(ConsentChannel::InApp) => pb::ConsentChannel::InApp,
        Some(ConsentChannel::PhoneCall) => pb::ConsentChannel::PhoneCall,
        Some(ConsentChannel::Email) => pb::ConsentChannel::Email,
    };
    (k, c)
}
