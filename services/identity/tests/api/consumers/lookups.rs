//! LookupUsers (masked summaries, audited) and RevealUserPhone (reason, audit, daily limit).

use siyu_proto::identity::v1 as pb;
use tonic::Code;

use crate::helpers::{Harness, assert_reason, authed, count, violations};

#[tokio::test]
async fn staff_find_users_masked_and_reveals_are_audited_and_limited() {
    let h = Harness::start().await;
    let (_, app_id, admin) = h.tenant_with_app("lku").await;
    let login = h.wechat_login(&app_id, "o_lku").await;
    let token = login.tokens.unwrap().access_token;
    let user_id = login.user.unwrap().user_id;
    let code = h
        .control
        .phone_code(&app_id, crate::consumers::phone_bind::PHONE)
        .await
        .unwrap();
    crate::consumers::phone_bind::bind(&h, &token, code)
        .await
        .unwrap();

    let lookup = |kind: pb::IdentityKind, value: &str| pb::LookupUsersRequest {
        kind: kind as i32,
        value: value.into(),
        app_id: String::new(),
        include_inactive: false,
    };
    for req in [
        lookup(pb::IdentityKind::Phone, crate::consumers::phone_bind::PHONE),
        lookup(pb::IdentityKind::Phone, crate::consumers::phone_bind::E164),
        lookup(pb::IdentityKind::WechatOpenid, "o_lku"),
    ] {
        let users = h
            .users()
            .lookup_users(authed(req, &admin))
            .await
            .unwrap()
            .into_inner()
            .users;
        assert_eq!(users.len(), 1);
        assert_eq!(users[0].user_id, user_id);
        assert_eq!(users[0].phone_masked, "138****5678");
    }
    let none = h
        .users()
        .lookup_users(authed(
            lookup(pb::IdentityKind::Phone, "13900000000"),
            &admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .users;
    assert!(none.is_empty());
    let q = "SELECT COUNT(*) AS n FROM identity_audit_log WHERE kind = $1";
    assert_eq!(count(&h, q, "USER_LOOKUP").await, 4);
    // The audit keeps a hash of the value, never the number.
    let q = "SELECT COUNT(*) AS n FROM identity_audit_log WHERE details LIKE $1";
    assert_eq!(count(&h, q, "%13812345678%").await, 0);

    for (req, field) in [
        (lookup(pb::IdentityKind::Phone, ""), "value"),
        (lookup(pb::IdentityKind::Phone, "12345"), "value"),
        (lookup(pb::IdentityKind::Unspecified, "x"), "kind"),
    ] {
        let err = h
            .users()
            .lookup_users(authed(req, &admin))
            .await
            .unwrap_err();
        assert_reason(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
        assert_eq!(violations(&err), vec![field.to_owned()]);
    }
    let err = h
        .users()
        .lookup_users(authed(
            lookup(pb::IdentityKind::Phone, crate::consumers::phone_bind::PHONE),
            &token,
        ))
        .await
        .unwrap_err();
    assert_reason(&err, Code::PermissionDenied, "PERMISSION_DENIED");

    let reveal = |reason: &str| pb::RevealUserPhoneRequest {
        user_id: user_id.clone(),
        reason: reason.into(),
    };
    let phone = h
        .users()
        .reveal_user_phone(authed(reveal("order 1234 delivery"), &admin))
        .await
        .unwrap()
        .into_inner()
        .phone;
    assert_eq!(phone, crate::consumers::phone_bind::E164);
    for bad in ["", "abc", &"x".repeat(201)] {
        let err = h
            .users()
            .reveal_user_phone(authed(reveal(bad), &admin))
            .await
            .unwrap_err();
        assert_reason(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
        assert_eq!(violations(&err), vec!["reason".to_owned()]);
    }
    let err = h
        .users()
        .reveal_user_phone(authed(reveal("order 1234 delivery"), &token))
        .await
        .unwrap_err();
    assert_reason(&err, Code::PermissionDenied, "PERMISSION_DENIED");
    let unbound = h
        .wechat_login(&app_id, "o_nophone")
        .await
        .user
        .unwrap()
        .user_id;
    let err = h
        .users()
        .reveal_user_phone(authed(
            pb::RevealUserPhoneRequest {
                user_id: unbound,
                reason: "ticket 42".into(),
            },
            &admin,
        ))
        .await
        .unwrap_err();
    assert_reason(&err, Code::FailedPrecondition, "PHONE_NOT_BOUND");
    for _ in 1..50 {
        h.users()
            .reveal_user_phone(authed(reveal("ticket 42"), &admin))
            .await
            .unwrap();
    }
    let err = h
        .users()
        .reveal_user_phone(authed(reveal("ticket 42"), &admin))
        .await
        .unwrap_err();
    assert_reason(&err, Code::ResourceExhausted, "REVEAL_LIMIT");
    let q = "SELECT COUNT(*) AS n FROM identity_audit_log WHERE kind = $1";
    assert_eq!(count(&h, q, "PHONE_REVEALED").await, 50);
}
