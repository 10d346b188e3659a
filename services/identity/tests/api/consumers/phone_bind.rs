//! Phone binding with a WeChat phone code, and the merge it can cause.

use siyu_proto::identity::v1 as pb;
use tonic::Code;

use crate::helpers::{Harness, assert_reason, authed, count};

pub const PHONE: &str = "13812345678";
pub const E164: &str = "+8613812345678";

pub async fn bind(
    h: &Harness,
    token: &str,
    code: String,
) -> Result<pb::PhoneBinding, tonic::Status> {
    h.consumers()
        .bind_phone_with_we_chat(authed(
            pb::BindPhoneWithWeChatRequest {
                phone_code: code,
                app_id: String::new(),
            },
            token,
        ))
        .await
        .map(|r| r.into_inner().binding.unwrap())
}

/// Registers a second mini-program of the tenant (users of different apps can be merged; two
/// openids of one app cannot).
pub async fn second_app(h: &Harness, admin: &str) -> String {
    let registered = h.control.register_app().await.unwrap();
    h.tenants()
        .upsert_app(authed(
            pb::UpsertAppRequest {
                app: Some(pb::WeChatApp {
                    app_id: registered.appid.clone(),
                    kind: pb::AppKind::MiniProgram as i32,
                    name: "Second".into(),
                    app_secret: registered.secret,
                    enabled: true,
                    ..Default::default()
                }),
            },
            admin,
        ))
        .await
        .unwrap();
    registered.appid
}

#[tokio::test]
async fn binding_a_free_number_links_it_and_rebinding_is_a_no_op() {
    let h = Harness::start().await;
    let (_, app_id, _) = h.tenant_with_app("ph1").await;
    let alice = h.wechat_login(&app_id, "o_alice").await;
    let token = alice.tokens.unwrap().access_token;
    let code = h.control.phone_code(&app_id, PHONE).await.unwrap();
    let bound = bind(&h, &token, code).await.unwrap();
    assert!(!bound.merged);
    assert!(bound.tokens.is_none());
    let user = bound.user.unwrap();
    assert_eq!(user.phone, E164);
    assert_eq!(user.user_id, alice.user.unwrap().user_id);
    let code = h.control.phone_code(&app_id, PHONE).await.unwrap();
    let again = bind(&h, &token, code).await.unwrap();
    assert!(!again.merged);
    assert_eq!(again.user.unwrap().phone, E164);
    let n = count(
        &h,
        "SELECT COUNT(*) AS n FROM identity_user_identities WHERE kind = 'PHONE' AND value = $1",
        E164,
    )
    .await;
    assert_eq!(n, 1);
    // A second number replaces the first.
    let code = h.control.phone_code(&app_id, "13900001111").await.unwrap();
    let replaced = bind(&h, &token, code).await.unwrap();
    assert_eq!(replaced.user.unwrap().phone, "+8613900001111");
    let n = count(
        &h,
        "SELECT COUNT(*) AS n FROM identity_user_identities WHERE kind = 'PHONE' AND user_id = $1",
        &user.user_id,
    )
    .await;
    assert_eq!(n, 1);
}

#[tokio::test]
async fn the_younger_user_binding_an_owned_number_is_merged_into_the_older() {
    let h = Harness::start().await;
    let (_, app_id, admin) = h.tenant_with_app("ph2").await;
    let app2 = second_app(&h, &admin).await;
    let older = h.wechat_login(&app_id, "o_old").await;
    let younger = h.wechat_login(&app2, "o_young").await;
    let older_id = older.user.unwrap().user_id;
    let younger_id = younger.user.unwrap().user_id;
    let older_token = older.tokens.unwrap().access_token;
    let younger_token = younger.tokens.unwrap().access_token;
    let code = h.control.phone_code(&app_id, PHONE).await.unwrap();
    bind(&h, &older_token, code).await.unwrap();

    let code = h.control.phone_code(&app2, PHONE).await.unwrap();
    let merged = bind(&h, &younger_token, code).await.unwrap();
    assert!(merged.merged);
    assert_eq!(merged.user.as_ref().unwrap().user_id, older_id);
    let merge = merged.merge.unwrap();
    assert_eq!(merge.kept_user_id, older_id);
    assert_eq!(merge.merged_user_id, younger_id);
    assert_eq!(merge.reason, "phone_bind");
    assert_eq!(merge.moved_identities.len(), 1);
    // The caller was merged away: fresh tokens for the kept user, the old session is dead.
    let fresh = merged.tokens.unwrap();
    let sessions = h
        .tokens()
        .list_sessions(authed(
            pb::ListSessionsRequest::default(),
            &fresh.access_token,
        ))
        .await
        .unwrap();
    assert!(!sessions.into_inner().sessions.is_empty());
    let err = bind(&h, &younger_token, "x".into()).await.unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "TOKEN_REVOKED");
    // The younger openid now logs in as the older user.
    let again = h.wechat_login(&app2, "o_young").await;
    assert_eq!(again.user.unwrap().user_id, older_id);
    let q = "SELECT COUNT(*) AS n FROM identity_user_merges WHERE merged_user_id = $1";
    assert_eq!(count(&h, q, &younger_id).await, 1);
    let q = "SELECT COUNT(*) AS n FROM siyu_outbox WHERE subject = $1";
    assert_eq!(count(&h, q, "identity.users_merged").await, 1);
    let q = "SELECT COUNT(*) AS n FROM identity_audit_log WHERE kind = $1";
    assert_eq!(count(&h, q, "USERS_MERGED").await, 1);
}

#[tokio::test]
async fn bad_phone_codes_and_callers_are_refused() {
    let h = Harness::start().await;
    let (_, app_id, admin) = h.tenant_with_app("ph3").await;
    let token = h
        .wechat_login(&app_id, "o_bad")
        .await
        .tokens
        .unwrap()
        .access_token;
    let err = bind(&h, &token, "bogus".into()).await.unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "WECHAT_PHONE_CODE_INVALID");
    let code = h.control.phone_code(&app_id, PHONE).await.unwrap();
    bind(&h, &token, code.clone()).await.unwrap();
    let err = bind(&h, &token, code).await.unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "WECHAT_PHONE_CODE_INVALID");
    let err = bind(&h, &token, String::new()).await.unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
    let code = h.control.phone_code(&app_id, PHONE).await.unwrap();
    let err = bind(&h, &admin, code).await.unwrap_err();
    assert_reason(&err, Code::PermissionDenied, "PERMISSION_DENIED");
    let err = h
        .consumers()
        .bind_phone_with_we_chat(pb::BindPhoneWithWeChatRequest {
            phone_code: "x".into(),
            app_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn expired_app_access_tokens_are_replaced() {
    let h = Harness::start().await;
    let (_, app_id, _) = h.tenant_with_app("ph4").await;
    let token = h
        .wechat_login(&app_id, "o_tok")
        .await
        .tokens
        .unwrap()
        .access_token;
    let code = h.control.phone_code(&app_id, PHONE).await.unwrap();
    bind(&h, &token, code).await.unwrap();
    h.control.expire_access_tokens(&app_id).await.unwrap();
    let code = h.control.phone_code(&app_id, "13900002222").await.unwrap();
    let bound = bind(&h, &token, code).await.unwrap();
    assert_eq!(bound.user.unwrap().phone, "+8613900002222");
    let calls = h
        .control
        .requests(Some("/cgi-bin/stable_token"))
        .await
        .unwrap();
    assert_eq!(calls.len(), 2, "one cached token, one replacement");
}

#[tokio::test]
async fn sixteen_simultaneous_binds_of_one_phone_by_two_users_merge_exactly_once() {
    let h = Harness::start().await;
    let (tenant, app_id, admin) = h.tenant_with_app("ph5").await;
    let app2 = second_app(&h, &admin).await;
    let a = h.wechat_login(&app_id, "o_a").await;
    let b = h.wechat_login(&app2, "o_b").await;
    let a_id = a.user.unwrap().user_id;
    let b_id = b.user.unwrap().user_id;
    let tokens = [
        a.tokens.unwrap().access_token,
        b.tokens.unwrap().access_token,
    ];
    let mut codes = Vec::new();
    for i in 0..16 {
        let app = if i % 2 == 0 { &app_id } else { &app2 };
        codes.push(h.control.phone_code(app, PHONE).await.unwrap());
    }
    let calls = codes.into_iter().enumerate().map(|(i, code)| {
        let token = tokens[i % 2].clone();
        let h = &h;
        async move { bind(h, &token, code).await }
    });
    let results = futures::future::join_all(calls).await;
    for result in &results {
        if let Err(status) = result {
            // B's later binds find B merged (revoked session or USER_MERGED); nothing else.
            assert!(
                matches!(
                    status.code(),
                    Code::Unauthenticated | Code::FailedPrecondition
                ),
                "{status:?}"
            );
        }
    }
    assert!(results.iter().any(Result::is_ok));
    let q = "SELECT COUNT(DISTINCT user_id) AS n FROM identity_user_identities \
             WHERE kind = 'PHONE' AND value = $1";
    assert_eq!(count(&h, q, E164).await, 1);
    let q =
        "SELECT COUNT(*) AS n FROM identity_user_identities WHERE kind = 'PHONE' AND value = $1";
    assert_eq!(count(&h, q, E164).await, 1);
    let q = "SELECT COUNT(*) AS n FROM identity_user_identities i \
             JOIN identity_users u ON u.id = i.user_id \
             WHERE i.tenant_id = $1 AND u.status <> 'ACTIVE'";
    assert_eq!(count(&h, q, &tenant).await, 0);
    let q = "SELECT COUNT(*) AS n FROM identity_user_merges WHERE tenant_id = $1";
    assert_eq!(count(&h, q, &tenant).await, 1);
    let q = "SELECT COUNT(*) AS n FROM identity_users WHERE status = 'MERGED' AND merged_into = $1";
    assert_eq!(count(&h, q, &a_id).await, 1);
    let q = "SELECT COUNT(*) AS n FROM identity_users WHERE id = $1 AND status = 'MERGED'";
    assert_eq!(count(&h, q, &b_id).await, 1);
    let q = "SELECT COUNT(*) AS n FROM identity_users WHERE id = $1 AND phone = '+8613812345678'";
    assert_eq!(count(&h, q, &a_id).await, 1);
}

#[tokio::test]
async fn two_openids_of_one_app_cannot_merge() {
    let h = Harness::start().await;
    let (_, app_id, _) = h.tenant_with_app("ph6").await;
    let first = h.wechat_login(&app_id, "o_one").await.tokens.unwrap();
    let second = h.wechat_login(&app_id, "o_two").await.tokens.unwrap();
    let code = h.control.phone_code(&app_id, PHONE).await.unwrap();
    bind(&h, &first.access_token, code).await.unwrap();
    let code = h.control.phone_code(&app_id, PHONE).await.unwrap();
    let err = bind(&h, &second.access_token, code).await.unwrap_err();
    assert_reason(&err, Code::FailedPrecondition, "MERGE_CONFLICT");
}

#[tokio::test]
async fn phone_rpcs_stay_inside_the_callers_tenant() {
    let h = Harness::start().await;
    let (_, app_a, _) = h.tenant_with_app("pha").await;
    let (_, app_b, _) = h.tenant_with_app("phb").await;
    let a = h.wechat_login(&app_a, "o_a").await;
    let b = h.wechat_login(&app_b, "o_b").await;
    let token_b = b.tokens.unwrap().access_token;
    // B names A's app: NOT_FOUND.
    let code = h.control.phone_code(&app_a, PHONE).await.unwrap();
    let err = h
        .consumers()
        .bind_phone_with_we_chat(authed(
            pb::BindPhoneWithWeChatRequest {
                phone_code: code,
                app_id: app_a.clone(),
            },
            &token_b,
        ))
        .await
        .unwrap_err();
    assert_reason(&err, Code::NotFound, "APP_NOT_FOUND");
    // The same number in both tenants: two owners, no merge across tenants.
    let token_a = a.tokens.unwrap().access_token;
    let code = h.control.phone_code(&app_a, PHONE).await.unwrap();
    assert!(!bind(&h, &token_a, code).await.unwrap().merged);
    let code = h.control.phone_code(&app_b, PHONE).await.unwrap();
    let bound_b = bind(&h, &token_b, code).await.unwrap();
    assert!(!bound_b.merged);
    assert_eq!(bound_b.user.unwrap().user_id, b.user.unwrap().user_id);
    let q = "SELECT COUNT(*) AS n FROM identity_user_merges WHERE reason = $1";
    assert_eq!(count(&h, q, "phone_bind").await, 0);
}
