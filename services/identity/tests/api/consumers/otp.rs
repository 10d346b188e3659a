//! Phone OTP: send limits, login, replay, attempts, expiry, binding.

use siyu_identity::otp::MemoryOtpSender;
use siyu_proto::identity::v1 as pb;
use tonic::Code;

use crate::helpers::{Harness, assert_reason, authed};

pub const PHONE: &str = "13700001234";
pub const E164: &str = "+8613700001234";

pub fn sent_code(h: &Harness, e164: &str) -> String {
    h.app
        .app()
        .otp_sender
        .as_any()
        .downcast_ref::<MemoryOtpSender>()
        .unwrap()
        .last_code(e164)
        .unwrap()
}

pub async fn send(
    h: &Harness,
    app_id: &str,
    phone: &str,
    ip: &str,
) -> Result<pb::SendPhoneOtpResponse, tonic::Status> {
    let mut request = tonic::Request::new(pb::SendPhoneOtpRequest {
        phone: phone.into(),
        purpose: pb::OtpPurpose::Login as i32,
        app_id: app_id.into(),
        captcha_ticket: String::new(),
    });
    request
        .metadata_mut()
        .insert("x-client-ip", ip.parse().unwrap());
    h.consumers()
        .send_phone_otp(request)
        .await
        .map(tonic::Response::into_inner)
}

pub async fn login(
    h: &Harness,
    app_id: &str,
    otp: &str,
) -> Result<pb::LoginWithPhoneOtpResponse, tonic::Status> {
    h.consumers()
        .login_with_phone_otp(pb::LoginWithPhoneOtpRequest {
            phone: PHONE.into(),
            otp: otp.into(),
            app_id: app_id.into(),
            attribution: None,
        })
        .await
        .map(tonic::Response::into_inner)
}

fn wrong(code: &str) -> String {
    let n: u32 = code.parse().unwrap();
    format!("{:06}", (n + 1) % 1_000_000)
}

#[tokio::test]
async fn otp_login_creates_then_finds_the_user_and_a_used_otp_is_refused() {
    let h = Harness::start().await;
    let (_, app_id, _) = h.tenant_with_app("otp1").await;
    let sent = send(&h, &app_id, PHONE, "10.0.0.1").await.unwrap();
    assert_eq!(sent.resend_after_seconds, 60);
    assert_eq!(sent.expire_seconds, 300);
    assert_eq!(sent.sends_left_today, 9);
    let code = sent_code(&h, E164);
    let first = login(&h, &app_id, &code).await.unwrap();
    assert!(first.is_new_user);
    assert_eq!(first.user.as_ref().unwrap().phone, E164);
    // Replay of the consumed OTP.
    let err = login(&h, &app_id, &code).await.unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "OTP_EXPIRED");
    // Resend within 60 s.
    let err = send(&h, &app_id, PHONE, "10.0.0.1").await.unwrap_err();
    assert_reason(&err, Code::ResourceExhausted, "OTP_TOO_FREQUENT");
    // A later OTP finds the same user.
    h.app
        .app()
        .cache
        .delete(&format!(
            "otp-resend:{}:{}",
            first_tenant(&first),
            siyu_identity::crypto::sha256_hex(E164)
        ))
        .await
        .unwrap();
    send(&h, &app_id, PHONE, "10.0.0.1").await.unwrap();
    let again = login(&h, &app_id, &sent_code(&h, E164)).await.unwrap();
    assert!(!again.is_new_user);
    assert_eq!(again.user.unwrap().user_id, first.user.unwrap().user_id);
}

fn first_tenant(login: &pb::LoginWithPhoneOtpResponse) -> String {
    let token = &login.tokens.as_ref().unwrap().access_token;
    let payload = token.split('.').nth(1).unwrap();
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    let claims: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    claims["tenant"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn five_wrong_attempts_void_the_otp_and_expiry_is_enforced() {
    let h = Harness::start().await;
    let (_, app_id, _) = h.tenant_with_app("otp2").await;
    send(&h, &app_id, PHONE, "10.0.0.2").await.unwrap();
    let code = sent_code(&h, E164);
    for left in (1..=4).rev() {
        let err = login(&h, &app_id, &wrong(&code)).await.unwrap_err();
        assert_reason(&err, Code::Unauthenticated, "OTP_INVALID");
        let info = tonic_types::StatusExt::get_details_error_info(&err).unwrap();
        assert_eq!(info.metadata["attempts_left"], left.to_string());
    }
    let err = login(&h, &app_id, &wrong(&code)).await.unwrap_err();
    assert_reason(&err, Code::ResourceExhausted, "OTP_EXHAUSTED");
    let err = login(&h, &app_id, &code).await.unwrap_err();
    assert_reason(&err, Code::ResourceExhausted, "OTP_EXHAUSTED");

    let other = "13700009999";
    send(&h, &app_id, other, "10.0.0.2").await.unwrap();
    let code = sent_code(&h, "+8613700009999");
    use sea_orm::ConnectionTrait as _;
    h.db.db
        .execute_unprepared("UPDATE identity_phone_otps SET expires_at = created_at")
        .await
        .unwrap();
    let err = h
        .consumers()
        .login_with_phone_otp(pb::LoginWithPhoneOtpRequest {
            phone: other.into(),
            otp: code,
            app_id: app_id.clone(),
            attribution: None,
        })
        .await
        .unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "OTP_EXPIRED");
}

#[tokio::test]
async fn bad_input_and_ip_limits() {
    let h = Harness::start().await;
    let (_, app_id, _) = h.tenant_with_app("otp3").await;
    for bad in ["12345", "23800001234", "+1415555123", "1380000123x"] {
        let err = send(&h, &app_id, bad, "10.0.0.3").await.unwrap_err();
        assert_reason(&err, Code::InvalidArgument, "PHONE_INVALID");
    }
    let err = login(&h, &app_id, "12ab56").await.unwrap_err();
    assert_reason(&err, Code::InvalidArgument, "INVALID_ARGUMENT");
    let err = login(&h, &app_id, "123456").await.unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "OTP_EXPIRED");
    let err = send(&h, "wx_nobody", PHONE, "10.0.0.3").await.unwrap_err();
    assert_reason(&err, Code::NotFound, "APP_NOT_FOUND");
    for i in 0..20 {
        send(&h, &app_id, &format!("1390000{i:04}"), "10.9.9.9")
            .await
            .unwrap();
    }
    let err = send(&h, &app_id, "13911112222", "10.9.9.9")
        .await
        .unwrap_err();
    assert_reason(&err, Code::ResourceExhausted, "OTP_IP_LIMIT");
}

#[tokio::test]
async fn bind_with_otp_binds_the_phone_to_the_caller() {
    let h = Harness::start().await;
    let (_, app_id, _) = h.tenant_with_app("otp4").await;
    let consumer = h.wechat_login(&app_id, "o_otp").await;
    let token = consumer.tokens.unwrap().access_token;
    let mut request = authed(
        pb::SendPhoneOtpRequest {
            phone: PHONE.into(),
            purpose: pb::OtpPurpose::Bind as i32,
            app_id: String::new(),
            captcha_ticket: String::new(),
        },
        &token,
    );
    request
        .metadata_mut()
        .insert("x-client-ip", "10.0.0.4".parse().unwrap());
    h.consumers().send_phone_otp(request).await.unwrap();
    let code = sent_code(&h, E164);
    let bind = |otp: String| {
        let mut client = h.consumers();
        let token = token.clone();
        async move {
            client
                .bind_phone_with_otp(authed(
                    pb::BindPhoneWithOtpRequest {
                        phone: PHONE.into(),
                        otp,
                    },
                    &token,
                ))
                .await
        }
    };
    let bound = bind(code.clone())
        .await
        .unwrap()
        .into_inner()
        .binding
        .unwrap();
    assert_eq!(bound.user.unwrap().phone, E164);
    let err = bind(code).await.unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "OTP_EXPIRED");
}
