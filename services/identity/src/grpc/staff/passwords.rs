//! Staff passwords on the wire: ResetStaffPassword (StaffService, by an admin) and
//! ChangeStaffPassword (StaffAuthService, by the staff member).

use std::sync::Arc;

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Response};

use crate::error::AppError;
use crate::grpc::sealed::{open, seal};
use crate::grpc::staff::input::{generated_password, id, reason};
use crate::grpc::staff::login::login_result;
use crate::grpc::staff::{bounded, staff_self};
use crate::grpc::{Api, Caller, R, client_info, record};

/// ResetStaffPassword: a temporary password (the one given, or a generated one answered once),
/// changed at the next login.
#[tracing::instrument(skip_all, fields(staff_id))]
pub(super) async fn reset(
    api: &Api,
    request: Request<pb::ResetStaffPasswordRequest>,
) -> R<pb::ResetStaffPasswordResponse> {
    let caller = Caller::of(&request)?;
    let req = request.get_ref();
    let staff_id = id(&req.staff_id, "staff_id")?;
    record("staff_id", &staff_id);
    let why = reason(&req.reason, false)?;
    let (password, generated) = temporary_password(&req.temporary_password)?;
    let (app, ctx, remove_totp) = (Arc::clone(&api.app), caller.ctx, req.remove_totp);
    let reply = api
        .mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                app.reset_staff_password(txn, &ctx, &staff_id, &password, remove_totp, &why)
                    .await?;
                let generated_password = match generated {
                    true => seal(&app, &password)?,
                    false => String::new(),
                };
                Ok(pb::ResetStaffPasswordResponse { generated_password })
            })
        })
        .await?
        .into_inner();
    let generated_password = match reply.generated_password.as_str() {
        "" => String::new(),
        sealed => open(&api.app, sealed)?,
    };
    Ok(Response::new(pb::ResetStaffPasswordResponse {
        generated_password,
    }))
}

/// The temporary password of a reset: the one given, or a generated one (`true`). Generated
/// before the effect runs: a replay answers the stored (sealed) one instead.
fn temporary_password(given: &str) -> Result<(String, bool), AppError> {
    match given.len() {
        0 => Ok((generated_password()?, true)),
        1..=256 => Ok((given.to_owned(), false)),
        _ => Err(AppError::invalid("temporary_password", "is too long")),
    }
}

/// ChangeStaffPassword, logged in (current password) or with a PASSWORD_CHANGE_REQUIRED
/// challenge (which then logs in). It mints tokens, so a key only de-duplicates.
#[tracing::instrument(skip_all)]
pub(super) async fn change(
    api: &Api,
    request: Request<pb::ChangeStaffPasswordRequest>,
) -> R<pb::ChangeStaffPasswordResponse> {
    let req = request.get_ref();
    if req.new_password.len() > 256 {
        return Err(AppError::invalid("new_password", "is too long").into());
    }
    if !req.challenge_token.is_empty() {
        return change_with_challenge(api, &request).await;
    }
    let caller = Caller::of(&request)?;
    let (tenant, staff_id) = staff_self(&caller);
    bounded(&req.current_password, "current_password", 256)?;
    let (current, new, sid) = (
        &req.current_password,
        &req.new_password,
        caller.sid.as_deref(),
    );
    api.mutations
        .dedupe(&request, &tenant.to_string(), async {
            let changed = api
                .app
                .change_password_logged_in(tenant, &staff_id, sid, current, new);
            Ok(changed.await?)
        })
        .await?;
    // The caller's own session stays valid: nothing to continue.
    Ok(Response::new(pb::ChangeStaffPasswordResponse {
        result: None,
    }))
}

/// ChangeStaffPassword with a challenge: the new password, then the login it completes.
async fn change_with_challenge(
    api: &Api,
    request: &Request<pb::ChangeStaffPasswordRequest>,
) -> R<pb::ChangeStaffPasswordResponse> {
    let client = client_info(request);
    let req = request.get_ref();
    let login = api
        .mutations
        .dedupe(request, "challenge", async {
            let (challenge, new) = (&req.challenge_token, &req.new_password);
            Ok(api
                .app
                .change_password_with_challenge(challenge, new, &client)
                .await?)
        })
        .await?;
    Ok(Response::new(pb::ChangeStaffPasswordResponse {
        result: Some(login_result(api, login).await?),
    }))
}
