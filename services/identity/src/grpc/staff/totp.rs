//! VerifyStaffTotp, EnrollTotp, ConfirmTotp and DisableTotp handlers.
//!
//! Enroll and Confirm of a logged-in staff member run through `Mutations::mutate` (a retry
//! replays the first reply); their replies hold the secret / recovery codes, so the stored
//! reply keeps them sealed and only the wire reply is in clear. With a login challenge they, and
//! Verify, mint tokens and only de-duplicate. Verify and Disable count failures toward the
//! lockout, which must commit even though the call fails, so they only de-duplicate too.

use std::sync::Arc;

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Response};

use crate::error::AppError;
use crate::grpc::sealed::{open, seal};
use crate::grpc::staff::login::login_result;
use crate::grpc::staff::{bounded, staff_self};
use crate::grpc::{Api, Caller, R, client_info};
use crate::totp::is_totp_code;

/// A 6-digit code field, else INVALID_ARGUMENT naming `code`.
fn six_digits(code: &str) -> Result<(), AppError> {
    if is_totp_code(code) {
        Ok(())
    } else {
        Err(AppError::invalid("code", "must be 6 digits"))
    }
}

/// VerifyStaffTotp: the second step of a login with a TOTP_REQUIRED challenge.
#[tracing::instrument(skip_all)]
pub(super) async fn verify(
    api: &Api,
    request: Request<pb::VerifyStaffTotpRequest>,
) -> R<pb::VerifyStaffTotpResponse> {
    let client = client_info(&request);
    let req = request.get_ref();
    bounded(&req.challenge_token, "challenge_token", 128)?;
    bounded(&req.code, "code", 16)?;
    let login = api
        .mutations
        .dedupe(&request, "challenge", async {
            let (challenge, code) = (&req.challenge_token, req.code.trim());
            Ok(api.app.verify_staff_totp(challenge, code, &client).await?)
        })
        .await?;
    Ok(Response::new(pb::VerifyStaffTotpResponse {
        result: Some(login_result(api, login).await?),
    }))
}

/// EnrollTotp: logged in (replayable, the secret sealed in the stored reply), or with a
/// TOTP_ENROLLMENT_REQUIRED challenge.
#[tracing::instrument(skip_all)]
pub(super) async fn enroll(
    api: &Api,
    request: Request<pb::EnrollTotpRequest>,
) -> R<pb::EnrollTotpResponse> {
    let challenge = &request.get_ref().challenge_token;
    if !challenge.is_empty() {
        let e = api
            .mutations
            .dedupe(&request, "challenge", async {
                Ok(api.app.enroll_totp_with_challenge(challenge).await?)
            })
            .await?;
        return Ok(Response::new(pb::EnrollTotpResponse {
            secret: e.secret,
            otpauth_uri: e.uri,
        }));
    }
    let (tenant, staff_id) = staff_self(&Caller::of(&request)?);
    let app = Arc::clone(&api.app);
    let sealed = api
        .mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let e = app.enroll_totp(txn, tenant, &staff_id).await?;
                let (secret, otpauth_uri) = (seal(&app, &e.secret)?, seal(&app, &e.uri)?);
                Ok(pb::EnrollTotpResponse {
                    secret,
                    otpauth_uri,
                })
            })
        })
        .await?
        .into_inner();
    let (secret, otpauth_uri) = (
        open(&api.app, &sealed.secret)?,
        open(&api.app, &sealed.otpauth_uri)?,
    );
    Ok(Response::new(pb::EnrollTotpResponse {
        secret,
        otpauth_uri,
    }))
}

/// ConfirmTotp: the first code turns the pending secret on and answers recovery codes once
/// (sealed in the stored reply when logged in; with a challenge it completes the login).
#[tracing::instrument(skip_all)]
pub(super) async fn confirm(
    api: &Api,
    request: Request<pb::ConfirmTotpRequest>,
) -> R<pb::ConfirmTotpResponse> {
    let req = request.get_ref();
    six_digits(&req.code)?;
    if !req.challenge_token.is_empty() {
        return confirm_with_challenge(api, &request).await;
    }
    let (tenant, staff_id) = staff_self(&Caller::of(&request)?);
    let (app, code) = (Arc::clone(&api.app), req.code.clone());
    let reply = api
        .mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let codes = app.confirm_totp(txn, tenant, &staff_id, &code).await?;
                let sealed = vec![seal(&app, &codes.join(","))?];
                Ok(pb::ConfirmTotpResponse {
                    recovery_codes: sealed,
                    result: None,
                })
            })
        })
        .await?
        .into_inner();
    let codes = open(
        &api.app,
        reply.recovery_codes.first().map_or("", String::as_str),
    )?;
    Ok(Response::new(pb::ConfirmTotpResponse {
        recovery_codes: codes.split(',').map(str::to_owned).collect(),
        result: None,
    }))
}

/// ConfirmTotp with a TOTP_ENROLLMENT_REQUIRED challenge: recovery codes and the login.
async fn confirm_with_challenge(
    api: &Api,
    request: &Request<pb::ConfirmTotpRequest>,
) -> R<pb::ConfirmTotpResponse> {
    let client = client_info(request);
    let req = request.get_ref();
    let (codes, login) = api
        .mutations
        .dedupe(request, "challenge", async {
            let (challenge, code) = (&req.challenge_token, &req.code);
            Ok(api
                .app
                .confirm_totp_with_challenge(challenge, code, &client)
                .await?)
        })
        .await?;
    Ok(Response::new(pb::ConfirmTotpResponse {
        recovery_codes: codes,
        result: Some(login_result(api, login).await?),
    }))
}

/// DisableTotp: the password and a current code turn the second factor off.
#[tracing::instrument(skip_all)]
pub(super) async fn disable(
    api: &Api,
    request: Request<pb::DisableTotpRequest>,
) -> R<pb::DisableTotpResponse> {
    let caller = Caller::of(&request)?;
    let (tenant, staff_id) = staff_self(&caller);
    let req = request.get_ref();
    bounded(&req.password, "password", 256)?;
    six_digits(&req.code)?;
    api.mutations
        .dedupe(&request, &tenant.to_string(), async {
            let (password, code) = (&req.password, &req.code);
            Ok(api
                .app
                .disable_totp(tenant, &staff_id, password, code)
                .await?)
        })
        .await?;
    Ok(Response::new(pb::DisableTotpResponse {}))
}
