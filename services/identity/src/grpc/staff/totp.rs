//! VerifyStaffTotp, EnrollTotp, ConfirmTotp and DisableTotp handlers.
//!
//! Enroll and Confirm of a logged-in staff run through `Api::mutate` (a retry replays the
//! first reply); their replies hold the secret / recovery codes, so the stored reply keeps them
//! sealed and only the wire reply is in clear. Verify and Disable count failures toward the
//! lockout, which must commit even though the call fails, so they only de-duplicate.

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};

use crate::error::AppError;
use crate::grpc::sealed::{open, seal};
use crate::grpc::staff::{bounded, staff_self};
use crate::grpc::{Caller, StaffAuthApi, client_info};
use crate::totp::is_totp_code;

/// A 6-digit code field, else INVALID_ARGUMENT naming `code`.
fn six_digits(code: &str) -> Result<(), AppError> {
    if is_totp_code(code) {
        Ok(())
    } else {
        Err(AppError::invalid("code", "must be 6 digits"))
    }
}

impl StaffAuthApi {
    pub(super) async fn verify(
        &self,
        request: Request<pb::VerifyStaffTotpRequest>,
    ) -> Result<Response<pb::VerifyStaffTotpResponse>, Status> {
        let client = client_info(&request);
        let req = request.get_ref();
        bounded(&req.challenge_token, "challenge_token", 128)?;
        bounded(&req.code, "code", 16)?;
        let login = self
            .dedupe(&request, "challenge", "VerifyStaffTotp", async {
                Ok(self
                    .app
                    .verify_staff_totp(&req.challenge_token, req.code.trim(), &client)
                    .await?)
            })
            .await?;
        Ok(Response::new(pb::VerifyStaffTotpResponse {
            result: Some(self.with_roles(login).await?),
        }))
    }

    pub(super) async fn enroll(
        &self,
        request: Request<pb::EnrollTotpRequest>,
    ) -> Result<Response<pb::EnrollTotpResponse>, Status> {
        let req = request.get_ref();
        if !req.challenge_token.is_empty() {
            let e = self
                .dedupe(&request, "challenge", "EnrollTotp", async {
                    Ok(self
                        .app
                        .enroll_totp_with_challenge(&req.challenge_token)
                        .await?)
                })
                .await?;
            return Ok(Response::new(pb::EnrollTotpResponse {
                secret: e.secret,
                otpauth_uri: e.uri,
            }));
        }
        let caller = Caller::of(&request)?;
        let (tenant, staff_id) = staff_self(&caller);
        let reply = self
            .mutate(&request, &tenant.clone(), "EnrollTotp", move |app, txn| {
                Box::pin(async move {
                    let e = app.enroll_totp(txn, &tenant, &staff_id).await?;
                    Ok(pb::EnrollTotpResponse {
                        secret: seal(&app, &e.secret)?,
                        otpauth_uri: seal(&app, &e.uri)?,
                    })
                })
            })
            .await?;
        Ok(Response::new(pb::EnrollTotpResponse {
            secret: open(&self.app, &reply.secret)?,
            otpauth_uri: open(&self.app, &reply.otpauth_uri)?,
        }))
    }

    pub(super) async fn confirm(
        &self,
        request: Request<pb::ConfirmTotpRequest>,
    ) -> Result<Response<pb::ConfirmTotpResponse>, Status> {
        let client = client_info(&request);
        let req = request.get_ref();
        six_digits(&req.code)?;
        if !req.challenge_token.is_empty() {
            let (codes, login) = self
                .dedupe(&request, "challenge", "ConfirmTotp", async {
                    Ok(self
                        .app
                        .confirm_totp_with_challenge(&req.challenge_token, &req.code, &client)
                        .await?)
                })
                .await?;
            return Ok(Response::new(pb::ConfirmTotpResponse {
                recovery_codes: codes,
                result: Some(self.with_roles(login).await?),
            }));
        }
        let caller = Caller::of(&request)?;
        let (tenant, staff_id) = staff_self(&caller);
        let code = req.code.clone();
        let reply = self
            .mutate(&request, &tenant.clone(), "ConfirmTotp", move |app, txn| {
                Box::pin(async move {
                    let codes = app.confirm_totp(txn, &tenant, &staff_id, &code).await?;
                    Ok(pb::ConfirmTotpResponse {
                        recovery_codes: vec![seal(&app, &codes.join(","))?],
                        result: None,
                    })
                })
            })
            .await?;
        let sealed = reply.recovery_codes.first().map_or("", String::as_str);
        let codes = open(&self.app, sealed)?;
        Ok(Response::new(pb::ConfirmTotpResponse {
            recovery_codes: codes.split(',').map(str::to_owned).collect(),
            result: None,
        }))
    }

    pub(super) async fn disable(
        &self,
        request: Request<pb::DisableTotpRequest>,
    ) -> Result<Response<pb::DisableTotpResponse>, Status> {
        let caller = Caller::of(&request)?;
        let (tenant, staff_id) = staff_self(&caller);
        let req = request.get_ref();
        bounded(&req.password, "password", 256)?;
        six_digits(&req.code)?;
        self.dedupe(&request, &tenant, "DisableTotp", async {
            Ok(self
                .app
                .disable_totp(&tenant, &staff_id, &req.password, &req.code)
                .await?)
        })
        .await?;
        Ok(Response::new(pb::DisableTotpResponse {}))
    }
}
