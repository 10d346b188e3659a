//! EraseUser: consumer confirmation (OTP / WeChat code), staff with a reason, what is removed,
//! idempotency, and erasure racing profile updates, consents and phone binds.

use std::future::Future;
use std::pin::Pin;

use futures::future::join_all;
use siyu_proto::identity::v1 as pb;
use tonic::Code;

use super::{consumer_with_data, request, wait_status};
use crate::consumers::phone_bind::{E164, PHONE};
use crate::helpers::{Harness, assert_reason, authed, count, violations};

fn erase_request(
    user_id: &str,
    otp: &str,
    wechat_code: &str,
    reason: &str,
) -> pb::EraseUserRequest {
    pb::EraseUserRequest {
        user_id: user_id.into(),
        otp: otp.into(),
        wechat_code: wechat_code.into(),
        reason: reason.into(),
    }
}

async fn erase(
    h: &Harness,
    token: &str,
    req: pb::EraseUserRequest,
) -> Result<pb::EraseUserResponse, tonic::Status> {
    h.users()
        .erase_user(authed(req, token))
        .await
        .map(tonic::Response::into_inner)
}

async fn send_confirm(h: &Harness, token: &str) -> String {
    h.consumers()
        .send_phone_otp(authed(
            pb::SendPhoneOtpRequest {
                phone: PHONE.into(),
                purpose: pb::OtpPurpose::Confirm as i32,
                ..Default::default()
            },
            token,
        ))
        .await
        .unwrap();
    crate::consumers::otp::sent_code(h, E164)
}

async fn get_user(h: &Harness, token: &str, user_id: &str) -> Result<pb::User, tonic::Status> {
    h.users()
        .get_user(authed(
            pb::GetUserRequest {
                user_id: user_id.into(),
            },
            token,
        ))
        .await
        .map(|r| r.into_inner().user.unwrap())
}

/// Asserts that nothing personal is left on an ERASED user.
async fn assert_no_pii(h: &Harness, user_id: &str) {
    let q = "SELECT COUNT(*) AS n FROM identity_users WHERE id = $1 AND status = 'ERASED' \
             AND phone IS NULL AND nickname = '' AND avatar_url = '' AND gender = '' \
             AND birthday = ''";
    assert_eq!(count(h, q, user_id).await, 1, "profile or phone left");
    let q = "SELECT COUNT(*) AS n FROM identity_user_identities WHERE user_id = $1";
    assert_eq!(count(h, q, user_id).await, 0, "identities left");
    let q = "SELECT COUNT(*) AS n FROM identity_user_consents WHERE user_id = $1 \
             AND (source <> '' OR ip_masked <> '')";
    assert_eq!(count(h, q, user_id).await, 0, "consent details left");
}

#[tokio::test]
async fn a_consumer_erases_with_an_otp_and_nothing_personal_remains() {
    let h = Harness::start().await;
    let (_, app_id, admin) = h.tenant_with_app("er1").await;
    let (user_id, token) = consumer_with_data(&h, &app_id, "o_er1").await;
    let export = request(&h, &token, "").await.unwrap().export_id;
    wait_status(&h, &token, &export, pb::DataExportStatus::Ready).await;

    // The bound phone needs the OTP; a wrong one counts an attempt.
    let err = erase(&h, &token, erase_request("", "", "", ""))
        .await
        .unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violations(&err), ["otp"]);
    let code = send_confirm(&h, &token).await;
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    let err = erase(&h, &token, erase_request("", &wrong, "", ""))
        .await
        .unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "OTP_INVALID");
    let erased = erase(&h, &token, erase_request("", &code, "", ""))
        .await
        .unwrap();
    assert_eq!(erased.user_id, user_id);
    assert_no_pii(&h, &user_id).await;

    // Sessions are gone (and in the revocation feed); the export's payload is deleted.
    let err = get_user(&h, &token, "").await.unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "TOKEN_REVOKED");
    let q = "SELECT COUNT(*) AS n FROM identity_token_revocations \
             WHERE kind = 'SUBJECT' AND value = $1";
    assert_eq!(count(&h, q, &user_id).await, 1);
    let q = "SELECT COUNT(*) AS n FROM identity_sessions WHERE subject_id = $1 \
             AND (revoked_at IS NULL OR user_agent <> '' OR ip_masked <> '')";
    assert_eq!(count(&h, q, &user_id).await, 0);
    let q = "SELECT COUNT(*) AS n FROM identity_data_exports WHERE id = $1 \
             AND status = 'EXPIRED' AND payload IS NULL";
    assert_eq!(count(&h, q, &export).await, 1);
    let q = "SELECT COUNT(*) AS n FROM identity_phone_otps WHERE phone = $1";
    assert_eq!(count(&h, q, E164).await, 0);

    // Staff see an anonymous id.
    let seen = get_user(&h, &admin, &user_id).await.unwrap();
    assert_eq!(seen.status, pb::UserStatus::Erased as i32);
    assert_eq!(seen.phone, "");
    assert_eq!(seen.profile.unwrap(), pb::UserProfile::default());

    // Audited once, without PII; one UserErased in the outbox.
    let q = "SELECT COUNT(*) AS n FROM identity_audit_log WHERE kind = 'USER_ERASED' \
             AND target_id = $1 AND details NOT LIKE '%138%' AND details NOT LIKE '%小红%' \
             AND details LIKE '%\"requested_by\":\"self\"%'";
    assert_eq!(count(&h, q, &user_id).await, 1);
    let q = "SELECT COUNT(*) AS n FROM siyu_outbox WHERE subject = $1";
    assert_eq!(count(&h, q, "identity.user_erased").await, 1);

    // Erasing again succeeds with the first erasure's time and no second effect.
    let reason = "repeated verified request";
    let again = erase(&h, &admin, erase_request(&user_id, "", "", reason))
        .await
        .unwrap();
    assert_eq!(again.erase_time, erased.erase_time);
    assert_eq!(count(&h, q, "identity.user_erased").await, 1);

    // The old openid now belongs to nobody: logging in registers a new user.
    let login = h.wechat_login(&app_id, "o_er1").await;
    assert!(login.is_new_user);
    assert_ne!(login.user.unwrap().user_id, user_id);
}

#[tokio::test]
async fn without_a_phone_the_consumer_confirms_with_a_fresh_wechat_code() {
    let h = Harness::start().await;
    let (_, app_id, _) = h.tenant_with_app("er2").await;
    let login = h.wechat_login(&app_id, "o_er2").await;
    let token = login.tokens.unwrap().access_token;
    let user_id = login.user.unwrap().user_id;

    let err = erase(&h, &token, erase_request("", "123456", "", ""))
        .await
        .unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violations(&err), ["wechat_code"]);
    let other = h
        .control
        .login_code(&app_id, "o_someone_else")
        .await
        .unwrap();
    let err = erase(&h, &token, erase_request("", "", &other, ""))
        .await
        .unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "WECHAT_CODE_INVALID");
    let err = erase(&h, &token, erase_request("", "", "not-a-code", ""))
        .await
        .unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "WECHAT_CODE_INVALID");

    let own = h.control.login_code(&app_id, "o_er2").await.unwrap();
    let erased = erase(&h, &token, erase_request("", "", &own, ""))
        .await
        .unwrap();
    assert_eq!(erased.user_id, user_id);
    assert_no_pii(&h, &user_id).await;
}

#[tokio::test]
async fn staff_erase_with_a_reason_once_per_idempotency_key() {
    let h = Harness::start().await;
    let (_, app_id, admin) = h.tenant_with_app("er3").await;
    let (user_id, _) = consumer_with_data(&h, &app_id, "o_er3").await;

    let err = erase(&h, &admin, erase_request(&user_id, "", "", " "))
        .await
        .unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violations(&err), ["reason"]);
    let err = erase(&h, &admin, erase_request("", "", "", "a reason"))
        .await
        .unwrap_err();
    assert_eq!(violations(&err), ["user_id"]);
    let err = erase(
        &h,
        &admin,
        erase_request("no-such-user", "", "", "a reason"),
    )
    .await
    .unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violations(&err), ["user_id"]);
    let nobody = uuid::Uuid::now_v7().to_string();
    let err = erase(&h, &admin, erase_request(&nobody, "", "", "a reason"))
        .await
        .unwrap_err();
    assert_reason(&err, Code::NotFound, "USER_NOT_FOUND");

    let keyed = |reason: &str| {
        let mut r = authed(erase_request(&user_id, "", "", reason), &admin);
        r.metadata_mut()
            .insert("x-idempotency-key", "erase-1".parse().unwrap());
        r
    };
    let reason = "customer asked at the store, id checked";
    let first = h
        .users()
        .erase_user(keyed(reason))
        .await
        .unwrap()
        .into_inner();
    let second = h
        .users()
        .erase_user(keyed(reason))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first, second);
    let err = h
        .users()
        .erase_user(keyed("another reason"))
        .await
        .unwrap_err();
    assert_reason(&err, Code::AlreadyExists, "IDEMPOTENCY_KEY_REUSED");
    assert_no_pii(&h, &user_id).await;
    let q = "SELECT COUNT(*) AS n FROM identity_audit_log WHERE kind = 'USER_ERASED' \
             AND target_id = $1 AND details LIKE '%\"requested_by\":\"staff\"%'";
    assert_eq!(count(&h, q, &user_id).await, 1);
    let q = "SELECT COUNT(*) AS n FROM siyu_outbox WHERE subject = $1";
    assert_eq!(count(&h, q, "identity.user_erased").await, 1);
}

type Call<'a> = Pin<Box<dyn Future<Output = ()> + 'a>>;

fn consent() -> pb::RecordConsentRequest {
    pb::RecordConsentRequest {
        kind: pb::ConsentKind::Marketing as i32,
        channel: pb::ConsentChannel::Wechat as i32,
        granted: true,
        source: "mini_program".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn erasure_racing_profile_updates_consents_and_phone_binds_leaves_no_pii() {
    let h = Harness::start().await;
    let (_, app_id, admin) = h.tenant_with_app("er4").await;
    for round in 0..3 {
        let login = h.wechat_login(&app_id, &format!("o_er4_{round}")).await;
        let token = login.tokens.unwrap().access_token;
        let user_id = login.user.unwrap().user_id;
        let mut codes = Vec::new();
        for i in 0..4 {
            let phone = format!("1390000{round}{i:03}");
            codes.push(h.control.phone_code(&app_id, &phone).await.unwrap());
        }
        let profile = |n: usize| pb::UserProfile {
            nickname: format!("昵称{n}"),
            ..Default::default()
        };
        let mut calls: Vec<Call<'_>> = Vec::new();
        for (i, code) in codes.into_iter().enumerate() {
            let h = &h;
            let binder = token.clone();
            calls.push(Box::pin(async move {
                let _ = crate::consumers::phone_bind::bind(h, &binder, code).await;
            }));
            let (token, admin) = (token.clone(), admin.clone());
            let user = user_id.clone();
            calls.push(Box::pin(async move {
                let _ =
                    crate::consumers::users::update(h, &token, "", profile(i), &["nickname"]).await;
                let _ =
                    crate::consumers::users::update(h, &admin, &user, profile(i), &["nickname"])
                        .await;
                let _ = h.users().record_consent(authed(consent(), &token)).await;
            }));
        }
        let reason = "verified erasure request";
        calls.insert(
            3,
            Box::pin(async {
                erase(&h, &admin, erase_request(&user_id, "", "", reason))
                    .await
                    .unwrap();
            }),
        );
        join_all(calls).await;
        assert_no_pii(&h, &user_id).await;
        // Late writers are refused.
        let err = crate::consumers::users::update(&h, &admin, &user_id, profile(9), &["nickname"])
            .await
            .unwrap_err();
        assert_reason(&err, Code::FailedPrecondition, "USER_ERASED");
    }
}

#[tokio::test]
async fn erasure_racing_logins_leaves_no_live_session_on_the_erased_user() {
    let h = Harness::start().await;
    let (_, app_id, admin) = h.tenant_with_app("er5").await;
    for round in 0..3 {
        let openid = format!("o_er5_{round}");
        let user_id = h.wechat_login(&app_id, &openid).await.user.unwrap().user_id;
        let mut codes = Vec::new();
        for _ in 0..4 {
            codes.push(h.control.login_code(&app_id, &openid).await.unwrap());
        }
        let mut calls: Vec<Call<'_>> = codes
            .into_iter()
            .map(|code| -> Call<'_> {
                let app_id = app_id.clone();
                let h = &h;
                Box::pin(async move {
                    let request = pb::LoginWithWeChatRequest {
                        app_id,
                        code,
                        attribution: None,
                    };
                    let _ = h.consumers().login_with_we_chat(request).await;
                })
            })
            .collect();
        let reason = "verified erasure request";
        calls.insert(
            2,
            Box::pin(async {
                erase(&h, &admin, erase_request(&user_id, "", "", reason))
                    .await
                    .unwrap();
            }),
        );
        join_all(calls).await;
        assert_no_pii(&h, &user_id).await;
        let q = "SELECT COUNT(*) AS n FROM identity_sessions WHERE subject_id = $1 \
                 AND revoked_at IS NULL";
        assert_eq!(count(&h, q, &user_id).await, 0);
    }
}
