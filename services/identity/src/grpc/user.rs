//! UserService handlers and the user → proto conversions ConsumerAuthService shares.

use siyu_proto::identity::v1 as pb;

use super::UserApi;
use crate::app::phone_bind::{Binding, Merged};
use crate::events::timestamp;
use crate::repo::merges::IdentityRow;
use crate::repo::users::UserRow;

#[tonic::async_trait]
impl pb::user_service_server::UserService for UserApi {}

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
        tokens: binding.issued.as_ref().map(super::token::token_pair),
    }
}
