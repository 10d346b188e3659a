//! ConsumerAuthService: SendPhoneOtp, LoginWithPhoneOtp and BindPhoneWithOtp.

use crate::app::consumers::otp::{OTP_TTL_SECS, RESEND_SECS};
use siyu_proto::identity::v1 as pb;
use tonic::{Request, Status};

use crate::error::AppError;
use crate::grpc::consumers::convert::{binding_pb, user_pb};
use crate::grpc::tokens::token_pair;
use crate::grpc::{Caller, ConsumerAuthApi, client_info};
use crate::otp::normalize_phone;

impl ConsumerAuthApi {
    /// SendPhoneOtp.
    pub(super) async fn send_phone_otp_rpc(
        &self,
        request: Request<pb::SendPhoneOtpRequest>,
    ) -> Result<pb::SendPhoneOtpResponse, Status> {
        let client = client_info(&request);
        let req = request.get_ref();
        let phone = normalize_phone(&req.phone).ok_or_else(|| {
            AppError::invalid_with("PHONE_INVALID", "phone", "not a mainland mobile number")
        })?;
        let purpose = match pb::OtpPurpose::try_from(req.purpose) {
            Ok(pb::OtpPurpose::Login) => "LOGIN",
            Ok(pb::OtpPurpose::Bind) => "BIND",
            Ok(pb::OtpPurpose::Confirm) => "CONFIRM",
            _ => return Err(AppError::invalid("purpose", "must be LOGIN, BIND or CONFIRM").into()),
        };
        // Consumers bind or confirm in their own tenant; guests log in to the app they name.
        let tenant = match Caller::optional(&request)? {
            Some(caller) => caller.tenant(),
            None if purpose == "LOGIN" => self.guest_tenant(&request, &req.app_id).await?,
            None => return Err(Status::from(siyu_auth::AuthError::MissingToken)),
        };
        let sent = self
            .dedupe(&request, &tenant, "SendPhoneOtp", async {
                Ok(self.app.send_otp(&tenant, &phone, purpose, &client).await?)
            })
            .await?;
        Ok(pb::SendPhoneOtpResponse {
            resend_after_seconds: i32::try_from(RESEND_SECS).unwrap_or(60),
            expire_seconds: i32::try_from(OTP_TTL_SECS).unwrap_or(300),
            sends_left_today: i32::try_from(sent.sends_left_today).unwrap_or(0),
        })
    }

    /// LoginWithPhoneOtp.
    pub(super) async fn login_with_phone_otp_rpc(
        &self,
        request: Request<pb::LoginWithPhoneOtpRequest>,
    ) -> Result<pb::LoginWithPhoneOtpResponse, Status> {
        let client = client_info(&request);
        let req = request.get_ref();
        let (phone, otp) = phone_and_otp(&req.phone, &req.otp)?;
        if req.app_id.is_empty() || req.app_id.len() > 64 {
            return Err(AppError::invalid("app_id", "must be 1..64 characters").into());
        }
        let login = self
            .dedupe(&request, &req.app_id, "LoginWithPhoneOtp", async {
                Ok(self
                    .app
                    .login_with_otp(&req.app_id, &phone, &otp, &client)
                    .await?)
            })
            .await?;
        Ok(pb::LoginWithPhoneOtpResponse {
            tokens: Some(token_pair(&login.issued)),
            user: Some(user_pb(&login.user)),
            is_new_user: login.is_new_user,
        })
    }

    /// BindPhoneWithOtp.
    pub(super) async fn bind_phone_with_otp_rpc(
        &self,
        request: Request<pb::BindPhoneWithOtpRequest>,
    ) -> Result<pb::BindPhoneWithOtpResponse, Status> {
        let caller = Caller::of(&request)?;
        let client = client_info(&request);
        let req = request.get_ref();
        let (phone, otp) = phone_and_otp(&req.phone, &req.otp)?;
        let tenant = caller.tenant();
        let user_id = caller.ctx.principal.subject.clone();
        let app_id = match caller.sid.as_deref() {
            Some(sid) => self.app.session(sid).await?.map(|s| s.app_id),
            None => None,
        }
        .unwrap_or_default();
        let binding = self
            .dedupe(&request, &tenant, "BindPhoneWithOtp", async {
                Ok(self
                    .app
                    .bind_phone_with_otp(&tenant, &user_id, &app_id, &phone, &otp, &client)
                    .await?)
            })
            .await?;
        Ok(pb::BindPhoneWithOtpResponse {
            binding: Some(binding_pb(&binding)),
        })
    }
}

/// Validates (phone, otp) of the OTP verification requests.
fn phone_and_otp(phone: &str, otp: &str) -> Result<(String, String), Status> {
    let phone = normalize_phone(phone).ok_or_else(|| {
        AppError::invalid_with("PHONE_INVALID", "phone", "not a mainland mobile number")
    })?;
    if otp.len() != 6 || !otp.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::invalid("otp", "must be 6 digits").into());
    }
    Ok((phone, otp.to_owned()))
}
