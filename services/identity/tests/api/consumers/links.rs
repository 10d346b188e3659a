//! SetUserBlocked (logins refused, sessions revoked), LinkIdentity / UnlinkIdentity (unique,
//! single-valued, last login identity), GetUserContacts (services only), and tenant isolation
//! of these and of MergeUsers / ReverseUserMerge.

use futures::future::{BoxFuture, join_all};
use siyu_proto::identity::v1 as pb;
use tonic::Code;
use tonic_types::StatusExt;

use crate::helpers::{Harness, assert_reason, authed, count, violations};
use crate::idempotency::keyed;
use crate::partners::service_token;

pub fn block(user_id: &str, blocked: bool) -> pb::SetUserBlockedRequest {
    pb::SetUserBlockedRequest {
        user_id: user_id.into(),
        blocked,
        reason: "fraud ticket 7".into(),
    }
}

pub fn link(
    user_id: &str,
    kind: pb::IdentityKind,
    app_id: &str,
    value: &str,
) -> pb::LinkIdentityRequest {
    pb::LinkIdentityRequest {
        user_id: user_id.into(),
        kind: kind as i32,
        app_id: app_id.into(),
        value: value.into(),
        source: "wecom_callback".into(),
    }
}

async fn login_raw(
    h: &Harness,
    app_id: &str,
    openid: &str,
) -> Result<pb::LoginWithWeChatResponse, tonic::Status> {
    let code = h.control.login_code(app_id, openid).await.unwrap();
    h.consumers()
        .login_with_we_chat(pb::LoginWithWeChatRequest {
            app_id: app_id.into(),
            code,
            attribution: None,
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn audits(h: &Harness, kind: &str) -> i64 {
    count(
        h,
        "SELECT COUNT(*) AS n FROM identity_audit_log WHERE kind = $1",
        kind,
    )
    .await
}

#[tokio::test]
async fn a_blocked_user_cannot_log_in_or_refresh_until_unblocked() {
    let h = Harness::start().await;
    let (_, app_id, admin) = h.tenant_with_app("blk").await;
    let login = h.wechat_login(&app_id, "o_blk").await;
    let tokens = login.tokens.unwrap();
    let user_id = login.user.unwrap().user_id;

    let user = h
        .users()
        .set_user_blocked(keyed(block(&user_id, true), &admin, "blk-1"))
        .await
        .unwrap()
        .into_inner()
        .user
        .unwrap();
    assert_eq!(user.status, pb::UserStatus::Blocked as i32);
    // The same key replays the reply without a second effect.
    let again = h
        .users()
        .set_user_blocked(keyed(block(&user_id, true), &admin, "blk-1"))
        .await
        .unwrap()
        .into_inner()
        .user
        .unwrap();
    assert_eq!(again, user);
    // Blocking a blocked user changes nothing and audits nothing.
    h.users()
        .set_user_blocked(authed(block(&user_id, true), &admin))
        .await
        .unwrap();
    assert_eq!(audits(&h, "USER_BLOCKED").await, 1);

    let err = h
        .users()
        .get_user(authed(pb::GetUserRequest::default(), &tokens.access_token))
        .await
        .unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "TOKEN_REVOKED");
    let err = h
        .tokens()
        .refresh_session(pb::RefreshSessionRequest {
            refresh_token: tokens.refresh_token.clone(),
        })
        .await
        .unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "SESSION_REVOKED");
    let err = login_raw(&h, &app_id, "o_blk").await.unwrap_err();
    assert_reason(&err, Code::PermissionDenied, "USER_BLOCKED");
    assert_eq!(audits(&h, "CONSUMER_LOGIN_FAILED").await, 1);
    let live =
        "SELECT COUNT(*) AS n FROM identity_sessions WHERE subject_id = $1 AND revoked_at IS NULL";
    assert_eq!(count(&h, live, &user_id).await, 0);

    let user = h
        .users()
        .set_user_blocked(authed(block(&user_id, false), &admin))
        .await
        .unwrap()
        .into_inner()
        .user
        .unwrap();
    assert_eq!(user.status, pb::UserStatus::Active as i32);
    assert_eq!(audits(&h, "USER_UNBLOCKED").await, 1);
    login_raw(&h, &app_id, "o_blk").await.unwrap();

    // Bad input and callers.
    let mut no_reason = block(&user_id, true);
    no_reason.reason = "  ".into();
    let err = h
        .users()
        .set_user_blocked(authed(no_reason, &admin))
        .await
        .unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violations(&err), vec!["reason".to_owned()]);
    let err = h
        .users()
        .set_user_blocked(authed(block("", true), &admin))
        .await
        .unwrap_err();
    assert_eq!(violations(&err), vec!["user_id".to_owned()]);
    // A malformed id is bad input; a well-formed id of nobody is not found.
    let err = h
        .users()
        .set_user_blocked(authed(block("no-such-user", true), &admin))
        .await
        .unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violations(&err), vec!["user_id".to_owned()]);
    let err = h
        .users()
        .set_user_blocked(authed(
            block(&uuid::Uuid::now_v7().to_string(), true),
            &admin,
        ))
        .await
        .unwrap_err();
    assert_reason(&err, Code::NotFound, "USER_NOT_FOUND");
    let consumer = h
        .wechat_login(&app_id, "o_other")
        .await
        .tokens
        .unwrap()
        .access_token;
    let err = h
        .users()
        .set_user_blocked(authed(block(&user_id, true), &consumer))
        .await
        .unwrap_err();
    assert_reason(&err, Code::PermissionDenied, "PERMISSION_DENIED");
}

#[tokio::test]
async fn no_login_racing_a_block_leaves_a_live_session() {
    let h = Harness::start().await;
    let (_, app_id, admin) = h.tenant_with_app("blr").await;
    let user_id = h.wechat_login(&app_id, "o_blr").await.user.unwrap().user_id;
    let mut codes = Vec::new();
    for _ in 0..8 {
        codes.push(h.control.login_code(&app_id, "o_blr").await.unwrap());
    }
    let logins = codes.into_iter().map(|code| {
        let mut c = h.consumers();
        let app_id = app_id.clone();
        Box::pin(async move {
            c.login_with_we_chat(pb::LoginWithWeChatRequest {
                app_id,
                code,
                attribution: None,
            })
            .await
            .map(drop)
        }) as BoxFuture<'_, Result<(), tonic::Status>>
    });
    let mut calls: Vec<BoxFuture<'_, Result<(), tonic::Status>>> = logins.collect();
    calls.insert(4, {
        let mut c = h.users();
        let req = authed(block(&user_id, true), &admin);
        Box::pin(async move { c.set_user_blocked(req).await.map(drop) })
    });
    let results = join_all(calls).await;
    assert!(results[4].is_ok(), "{:?}", results[4]);
    for r in &results {
        if let Err(err) = r {
            assert_reason(err, Code::PermissionDenied, "USER_BLOCKED");
        }
    }
    let live =
        "SELECT COUNT(*) AS n FROM identity_sessions WHERE subject_id = $1 AND revoked_at IS NULL";
    assert_eq!(count(&h, live, &user_id).await, 0);
}

#[tokio::test]
async fn links_are_unique_single_valued_audited_and_unlinked_with_care() {
    let h = Harness::start().await;
    let (tenant, app_id, admin) = h.tenant_with_app("lnk").await;
    let service = service_token(&h, &tenant).await;
    let a = h.wechat_login(&app_id, "o_lnk_a").await;
    let a_token = a.tokens.unwrap().access_token;
    let a_id = a.user.unwrap().user_id;
    let b_id = h
        .wechat_login(&app_id, "o_lnk_b")
        .await
        .user
        .unwrap()
        .user_id;
    let wecom = pb::IdentityKind::WecomExternalUserId;

    let linked = h
        .users()
        .link_identity(authed(link(&a_id, wecom, "ww_corp", "wm_ext_1"), &admin))
        .await
        .unwrap()
        .into_inner()
        .identity
        .unwrap();
    assert_eq!(
        (
            linked.kind,
            linked.app_id.as_str(),
            linked.source.as_str(),
            linked.login_capable
        ),
        (wecom as i32, "ww_corp", "wecom_callback", false)
    );
    // Linking what the user has is a no-op success.
    let same = h
        .users()
        .link_identity(authed(link(&a_id, wecom, "ww_corp", "wm_ext_1"), &service))
        .await
        .unwrap()
        .into_inner()
        .identity
        .unwrap();
    assert_eq!(same.identity_id, linked.identity_id);
    let err = h
        .users()
        .link_identity(authed(link(&b_id, wecom, "ww_corp", "wm_ext_1"), &admin))
        .await
        .unwrap_err();
    assert_reason(&err, Code::AlreadyExists, "IDENTITY_ALREADY_LINKED");
    let info = err.get_details_error_info().unwrap();
    assert_eq!(info.metadata.get("user_id"), Some(&a_id));
    let err = h
        .users()
        .link_identity(authed(link(&a_id, wecom, "ww_corp", "wm_ext_2"), &admin))
        .await
        .unwrap_err();
    assert_reason(
        &err,
        Code::FailedPrecondition,
        "IDENTITY_KIND_SINGLE_VALUED",
    );
    // Another corp is another scope.
    h.users()
        .link_identity(authed(link(&a_id, wecom, "ww_other", "wm_ext_1"), &admin))
        .await
        .unwrap();
    let card = pb::IdentityKind::MemberCardNo;
    h.users()
        .link_identity(authed(link(&a_id, card, "", "M0001"), &admin))
        .await
        .unwrap();
    let err = h
        .users()
        .link_identity(authed(link(&a_id, card, "", "M0002"), &service))
        .await
        .unwrap_err();
    assert_reason(
        &err,
        Code::FailedPrecondition,
        "IDENTITY_KIND_SINGLE_VALUED",
    );
    let unionid = pb::IdentityKind::WechatUnionid;
    for (req, token) in [
        (
            link(&b_id, pb::IdentityKind::Phone, "", "+8613800000000"),
            &service,
        ),
        (link(&b_id, unionid, "", "u_1"), &admin),
    ] {
        let err = h
            .users()
            .link_identity(authed(req, token))
            .await
            .unwrap_err();
        assert_reason(&err, Code::InvalidArgument, "IDENTITY_KIND_NOT_LINKABLE");
    }
    h.users()
        .link_identity(authed(link(&b_id, unionid, "", "u_1"), &service))
        .await
        .unwrap();
    for (req, fields) in [
        (link(&b_id, wecom, "", " "), vec!["app_id", "value"]),
        (link(&b_id, card, "ww_corp", "M9"), vec!["app_id"]),
        (
            link(&b_id, pb::IdentityKind::WechatOpenid, "wx_not_ours", "o_x"),
            vec!["app_id"],
        ),
        (
            link(&b_id, pb::IdentityKind::Unspecified, "", "x"),
            vec!["kind"],
        ),
    ] {
        let err = h
            .users()
            .link_identity(authed(req, &admin))
            .await
            .unwrap_err();
        assert_reason(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
        assert_eq!(violations(&err), fields);
    }
    let err = h
        .users()
        .link_identity(authed(link(&a_id, card, "", "M7"), &a_token))
        .await
        .unwrap_err();
    assert_reason(&err, Code::PermissionDenied, "PERMISSION_DENIED");
    let err = h
        .users()
        .link_identity(authed(link("nobody", card, "", "M7"), &admin))
        .await
        .unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violations(&err), vec!["user_id".to_owned()]);
    let nobody = uuid::Uuid::now_v7().to_string();
    let err = h
        .users()
        .link_identity(authed(link(&nobody, card, "", "M7"), &admin))
        .await
        .unwrap_err();
    assert_reason(&err, Code::NotFound, "USER_NOT_FOUND");
    assert_eq!(audits(&h, "IDENTITY_LINKED").await, 3 + 1);

    // Unlink: the consumer keeps its last way in; staff may remove it.
    let unlink = |user_id: &str, identity_id: &str| pb::UnlinkIdentityRequest {
        user_id: user_id.into(),
        identity_id: identity_id.into(),
        reason: "contact deleted".into(),
    };
    h.users()
        .unlink_identity(authed(unlink("", &linked.identity_id), &a_token))
        .await
        .unwrap();
    let err = h
        .users()
        .unlink_identity(authed(unlink("", &linked.identity_id), &a_token))
        .await
        .unwrap_err();
    assert_reason(&err, Code::NotFound, "IDENTITY_NOT_FOUND");
    let ids = h
        .users()
        .list_linked_identities(authed(pb::ListLinkedIdentitiesRequest::default(), &a_token))
        .await
        .unwrap()
        .into_inner()
        .identities;
    let openid = ids
        .iter()
        .find(|i| i.kind == pb::IdentityKind::WechatOpenid as i32)
        .unwrap()
        .identity_id
        .clone();
    let err = h
        .users()
        .unlink_identity(authed(unlink("", &openid), &a_token))
        .await
        .unwrap_err();
    assert_reason(&err, Code::FailedPrecondition, "LAST_LOGIN_IDENTITY");
    // Another user's identity id is not found for this user.
    let err = h
        .users()
        .unlink_identity(authed(unlink(&b_id, &openid), &admin))
        .await
        .unwrap_err();
    assert_reason(&err, Code::NotFound, "IDENTITY_NOT_FOUND");
    let err = h
        .users()
        .unlink_identity(authed(unlink(&a_id, ""), &admin))
        .await
        .unwrap_err();
    assert_eq!(violations(&err), vec!["identity_id".to_owned()]);
    h.users()
        .unlink_identity(keyed(unlink(&a_id, &openid), &admin, "unl-1"))
        .await
        .unwrap();
    h.users()
        .unlink_identity(keyed(unlink(&a_id, &openid), &admin, "unl-1"))
        .await
        .unwrap();
    assert_eq!(audits(&h, "IDENTITY_UNLINKED").await, 2);
}

#[tokio::test]
async fn one_value_linked_in_parallel_has_one_owner() {
    let h = Harness::start().await;
    let (tenant, app_id, _) = h.tenant_with_app("lkc").await;
    let service = service_token(&h, &tenant).await;
    let mut users = Vec::new();
    for i in 0..6 {
        let login = h.wechat_login(&app_id, &format!("o_lkc_{i}")).await;
        users.push(login.user.unwrap().user_id);
    }
    let card = pb::IdentityKind::MemberCardNo;
    let calls = users.iter().map(|u| {
        let mut c = h.users();
        let req = authed(link(u, card, "", "M0001"), &service);
        async move {
            c.link_identity(req)
                .await
                .map(|r| r.into_inner().identity.unwrap())
        }
    });
    let results = join_all(calls).await;
    let wins: Vec<usize> = (0..results.len()).filter(|i| results[*i].is_ok()).collect();
    assert_eq!(wins.len(), 1, "{results:?}");
    let owner = &users[wins[0]];
    for r in &results {
        if let Err(err) = r {
            assert_reason(err, Code::AlreadyExists, "IDENTITY_ALREADY_LINKED");
            let info = err.get_details_error_info().unwrap();
            assert_eq!(info.metadata.get("user_id"), Some(owner));
        }
    }
    let q = "SELECT COUNT(*) AS n FROM identity_user_identities WHERE value = $1";
    assert_eq!(count(&h, q, "M0001").await, 1);
    // One user, many card numbers at once: a card number stays single-valued.
    let target = &users[0];
    let calls = (0..6).map(|i| {
        let mut c = h.users();
        let req = authed(link(target, card, "", &format!("N{i}")), &service);
        async move { c.link_identity(req).await.map(drop) }
    });
    let results = join_all(calls).await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let held = if owner == target { 0 } else { 1 };
    assert_eq!(ok, held, "{results:?}");
    for r in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_reason(r, Code::FailedPrecondition, "IDENTITY_KIND_SINGLE_VALUED");
    }
    let q =
        "SELECT COUNT(*) AS n FROM identity_user_identities WHERE kind = 'CARD' AND user_id = $1";
    assert_eq!(count(&h, q, target).await, 1);
}

#[tokio::test]
async fn a_consumer_never_unlinks_both_of_its_login_identities() {
    let h = Harness::start().await;
    let (_, app_id, _) = h.tenant_with_app("lku2").await;
    let login = h.wechat_login(&app_id, "o_lku2").await;
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
    let ids: Vec<String> = h
        .users()
        .list_linked_identities(authed(pb::ListLinkedIdentitiesRequest::default(), &token))
        .await
        .unwrap()
        .into_inner()
        .identities
        .into_iter()
        .map(|i| i.identity_id)
        .collect();
    assert_eq!(ids.len(), 2);
    let calls = ids.iter().chain(ids.iter()).map(|id| {
        let mut c = h.users();
        let req = authed(
            pb::UnlinkIdentityRequest {
                user_id: String::new(),
                identity_id: id.clone(),
                reason: String::new(),
            },
            &token,
        );
        async move { c.unlink_identity(req).await.map(drop) }
    });
    let results = join_all(calls).await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    let q = "SELECT COUNT(*) AS n FROM identity_user_identities WHERE user_id = $1";
    assert_eq!(count(&h, q, &user_id).await, 1);
    // users.phone follows the identities.
    let q = "SELECT COUNT(*) AS n FROM identity_users u WHERE id = $1 AND \
             (phone IS NULL) = NOT EXISTS (SELECT 1 FROM identity_user_identities i \
             WHERE i.user_id = u.id AND i.kind = 'PHONE')";
    assert_eq!(count(&h, q, &user_id).await, 1);
}

#[tokio::test]
async fn senders_get_contacts_and_nobody_else_does() {
    let h = Harness::start().await;
    let (tenant, app_id, admin) = h.tenant_with_app("cnt").await;
    let service = service_token(&h, &tenant).await;
    let login = h.wechat_login(&app_id, "o_cnt").await;
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
    crate::consumers::users::update(
        &h,
        &token,
        "",
        pb::UserProfile {
            nickname: "小红".into(),
            ..Default::default()
        },
        &["nickname"],
    )
    .await
    .unwrap();
    for granted in [true, false] {
        h.users()
            .record_consent(authed(
                pb::RecordConsentRequest {
                    kind: pb::ConsentKind::Marketing as i32,
                    channel: pb::ConsentChannel::Sms as i32,
                    granted,
                    source: "mini_program".into(),
                    ..Default::default()
                },
                &token,
            ))
            .await
            .unwrap();
    }
    h.users()
        .link_identity(authed(
            link(
                &user_id,
                pb::IdentityKind::WecomExternalUserId,
                "ww_c",
                "wm_1",
            ),
            &admin,
        ))
        .await
        .unwrap();
    let req = || pb::GetUserContactsRequest {
        user_id: user_id.clone(),
    };
    let c = h
        .users()
        .get_user_contacts(authed(req(), &service))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(c.phone, crate::consumers::phone_bind::E164);
    assert_eq!(c.nickname, "小红");
    assert_eq!(c.status, pb::UserStatus::Active as i32);
    assert_eq!(
        c.openids,
        vec![pb::AppOpenId {
            app_id: app_id.clone(),
            app_kind: pb::AppKind::MiniProgram as i32,
            openid: "o_cnt".into(),
        }]
    );
    assert_eq!(c.wecom_contacts.len(), 1);
    assert_eq!(c.wecom_contacts[0].external_user_id, "wm_1");
    assert_eq!(c.marketing_consents.len(), 1);
    assert!(!c.marketing_consents[0].granted, "the latest record wins");

    for token in [&admin, &token] {
        let err = h
            .users()
            .get_user_contacts(authed(req(), token))
            .await
            .unwrap_err();
        assert_reason(&err, Code::PermissionDenied, "PERMISSION_DENIED");
    }
    let err = h
        .users()
        .get_user_contacts(authed(pb::GetUserContactsRequest::default(), &service))
        .await
        .unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violations(&err), vec!["user_id".to_owned()]);
    use sea_orm::ConnectionTrait as _;
    h.db.db
        .execute_unprepared(&format!(
            "UPDATE identity_users SET status = 'ERASED' WHERE id = '{user_id}'"
        ))
        .await
        .unwrap();
    let err = h
        .users()
        .get_user_contacts(authed(req(), &service))
        .await
        .unwrap_err();
    assert_reason(&err, Code::FailedPrecondition, "USER_ERASED");
}

type Call<'a> = (&'static str, BoxFuture<'a, Result<(), tonic::Status>>);

#[tokio::test]
async fn another_tenants_users_and_merges_are_not_found() {
    let h = Harness::start().await;
    let (tenant_a, app_a, admin_a) = h.tenant_with_app("lisa").await;
    let (tenant_b, app_b, admin_b) = h.tenant_with_app("lisb").await;
    let _ = tenant_a;
    let app_a2 = crate::consumers::phone_bind::second_app(&h, &admin_a).await;
    let older = h.wechat_login(&app_a, "o_la_old").await;
    let younger = h.wechat_login(&app_a2, "o_la_young").await;
    let user_a = older.user.unwrap().user_id;
    let younger_a = younger.user.unwrap().user_id;
    let merge_a = h
        .users()
        .merge_users(authed(
            pb::MergeUsersRequest {
                user_id_a: user_a.clone(),
                user_id_b: younger_a.clone(),
                reason: "two accounts".into(),
            },
            &admin_a,
        ))
        .await
        .unwrap()
        .into_inner()
        .merge
        .unwrap()
        .merge_id;
    let b_user = h.wechat_login(&app_b, "o_lb").await;
    let consumer_b = b_user.tokens.unwrap().access_token;
    let user_b = b_user.user.unwrap().user_id;
    let service_b = service_token(&h, &tenant_b).await;
    let card = pb::IdentityKind::MemberCardNo;
    let calls: Vec<Call<'_>> = vec![
        ("SetUserBlocked", {
            let mut c = h.users();
            let req = authed(block(&user_a, true), &admin_b);
            Box::pin(async move { c.set_user_blocked(req).await.map(drop) })
        }),
        ("LinkIdentity", {
            let mut c = h.users();
            let req = authed(link(&user_a, card, "", "M1"), &service_b);
            Box::pin(async move { c.link_identity(req).await.map(drop) })
        }),
        ("UnlinkIdentity", {
            let mut c = h.users();
            let req = authed(
                pb::UnlinkIdentityRequest {
                    user_id: user_a.clone(),
                    identity_id: uuid::Uuid::now_v7().to_string(),
                    reason: String::new(),
                },
                &admin_b,
            );
            Box::pin(async move { c.unlink_identity(req).await.map(drop) })
        }),
        ("UnlinkIdentity (consumer)", {
            let mut c = h.users();
            let req = authed(
                pb::UnlinkIdentityRequest {
                    user_id: user_a.clone(),
                    identity_id: uuid::Uuid::now_v7().to_string(),
                    reason: String::new(),
                },
                &consumer_b,
            );
            Box::pin(async move { c.unlink_identity(req).await.map(drop) })
        }),
        ("GetUserContacts", {
            let mut c = h.users();
            let req = authed(
                pb::GetUserContactsRequest {
                    user_id: user_a.clone(),
                },
                &service_b,
            );
            Box::pin(async move { c.get_user_contacts(req).await.map(drop) })
        }),
        ("MergeUsers", {
            let mut c = h.users();
            let req = authed(
                pb::MergeUsersRequest {
                    user_id_a: user_a.clone(),
                    user_id_b: user_b.clone(),
                    reason: "x".into(),
                },
                &admin_b,
            );
            Box::pin(async move { c.merge_users(req).await.map(drop) })
        }),
        ("ReverseUserMerge", {
            let mut c = h.users();
            let req = authed(
                pb::ReverseUserMergeRequest {
                    merge_id: merge_a.clone(),
                    reason: "x".into(),
                },
                &admin_b,
            );
            Box::pin(async move { c.reverse_user_merge(req).await.map(drop) })
        }),
    ];
    for (name, call) in calls {
        let err = call.await.expect_err(name);
        assert_eq!(err.code(), Code::NotFound, "{name}: {err:?}");
    }
    // Nothing of A changed.
    let q = "SELECT COUNT(*) AS n FROM identity_users WHERE id = $1 AND status = 'ACTIVE'";
    assert_eq!(count(&h, q, &user_a).await, 1);
    let q = "SELECT COUNT(*) AS n FROM identity_user_merges WHERE id = $1 AND reversed_at IS NULL";
    assert_eq!(count(&h, q, &merge_a).await, 1);
}
