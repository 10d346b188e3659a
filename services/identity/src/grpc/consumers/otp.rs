//! ConsumerAuthService: SendPhoneOtp, LoginWithPhoneOtp and BindPhoneWithOtp. Sending and the
//! phone RPCs only de-duplicate concurrent duplicates: logins mint tokens, and a sent code
//! cannot be sent "again" by a replay.

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};

use crate::app::consumers::otp::{OTP_TTL_SECS, RESEND_SECS};
use crate::error::AppError;
use crate::grpc::consumers::convert::{binding_pb, user_pb};
use crate::grpc::tokens::token_pair;
use crate::grpc::{Api, Caller, R, client_info};
use crate::otp::normalize_phone;
use crate::repo::consumers::OtpPurpose;

/// SendPhoneOtp: a consumer binds or confirms in its own tenant; a guest logs in to the app it
/// names.
#[tracing::instrument(skip_all)]
pub(super) async fn send(
    api: &Api,
    request: Request<pb::SendPhoneOtpRequest>,
) -> R<pb::SendPhoneOtpResponse> {
    let client = client_info(&request);
    let req = request.get_ref();
    let phone = phone_in(&req.phone)?;
    let purpose = match pb::OtpPurpose::try_from(req.purpose) {
        Ok(pb::OtpPurpose::Login) => OtpPurpose::Login,
        Ok(pb::OtpPurpose::Bind) => OtpPurpose::Bind,
        Ok(pb::OtpPurpose::Confirm) => OtpPurpose::Confirm,
        _ => return Err(AppError::invalid("purpose", "must be LOGIN, BIND or CONFIRM").into()),
    };
    let tenant = match Caller::optional(&request)? {
        Some(caller) => caller.tenant(),
        None if purpose == OtpPurpose::Login => api.guest_tenant(&request, &req.app_id).await?,
        None => return Err(Status::from(siyu_auth::AuthError::MissingToken)),
    };
    let sent = api
        .mutations
        .dedupe(&request, &tenant.to_string(), async {
            Ok(api.app.send_otp(tenant, &phone, purpose, &client).await?)
        })
        .await?;
    Ok(Response::new(pb::SendPhoneOtpResponse {
        resend_after_seconds: i32::try_from(RESEND_SECS).unwrap_or(60),
        expire_seconds: i32::try_from(OTP_TTL_SECS).unwrap_or(300),
        sends_left_today: i32::try_from(sent.sends_left_today).unwrap_or(0),
    }))
}

/// LoginWithPhoneOtp: finds or registers the user of the number in the app's tenant.
#[tracing::instrument(skip_all, fields(app_id = %request.get_ref().app_id))]
pub(super) async fn login(
    api: &Api,
    request: Request<pb::LoginWithPhoneOtpRequest>,
) -> R<pb::LoginWithPhoneOtpResponse> {
    let client = client_info(&request);
    let req = request.get_ref();
    let (phone, otp) = (phone_in(&req.phone)?, otp_in(&req.otp)?);
    if req.app_id.is_empty() || req.app_id.len() > 64 {
        return Err(AppError::invalid("app_id", "must be 1..64 characters").into());
    }
    let login = api
        .mutations
        .dedupe(&request, &req.app_id, async {
            Ok(api
                .app
                .login_with_otp(&req.app_id, &phone, otp, &client)
                .await?)
        })
        .await?;
    Ok(Response::new(pb::LoginWithPhoneOtpResponse {
        tokens: Some(token_pair(&login.issued)),
        user: Some(user_pb(&login.user)),
        is_new_user: login.is_new_user,
    }))
}

/// BindPhoneWithOtp: binds the verified number to the calling consumer (merging when another
/// user holds it).
#[tracing::instrument(skip_all)]
pub(super) async fn bind(
    api: &Api,
    request: Request<pb::BindPhoneWithOtpRequest>,
) -> R<pb::BindPhoneWithOtpResponse> {
    let caller = Caller::of(&request)?;
    let client = client_info(&request);
    let req = request.get_ref();
    let (phone, otp) = (phone_in(&req.phone)?, otp_in(&req.otp)?);
    let (tenant, user_id) = (caller.tenant(), &caller.ctx.principal.subject);
    let app_id = api.app.session_app(caller.sid.as_deref()).await?;
    let binding = api
        .mutations
        .dedupe(&request, &tenant.to_string(), async {
            Ok(api
                .app
                .bind_phone_with_otp(tenant, user_id, &app_id, &phone, otp, &client)
                .await?)
        })
        .await?;
    Ok(Response::new(pb::BindPhoneWithOtpResponse {
        binding: Some(binding_pb(&binding)),
    }))
}

/// A mainland mobile number, normalized.
fn phone_in(phone: &str) -> Result<String, AppError> {
    normalize_phone(phone).ok_or_else(|| {
        AppError::invalid_with("PHONE_INVALID", "phone", "not a mainland mobile number")
    })
}

/// A 6-digit code.
fn otp_in(otp: &str) -> Result<&str, AppError> {
    if otp.len() == 6 && otp.bytes().all(|b| b.is_ascii_digit()) {
        Ok(otp)
    } else {
        Err(AppError::invalid("otp", "must be 6 digits"))
    }
}
