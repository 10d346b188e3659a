//! Staff passwords on the wire: ResetStaffPassword (StaffService, by an admin) and
//! ChangeStaffPassword (StaffAuthService, by the staff member).

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Status};

use crate::error::AppError;
use crate::grpc::sealed::{open, seal};
use crate::grpc::staff::input::{generated_password, id, reason};
use crate::grpc::staff::{bounded, staff_self};
use crate::grpc::{Caller, StaffApi, StaffAuthApi, client_info};

impl StaffApi {
    /// ResetStaffPassword: a temporary password, changed at the next login.
    pub(super) async fn reset_staff_password_rpc(
        &self,
        request: Request<pb::ResetStaffPasswordRequest>,
    ) -> Result<pb::ResetStaffPasswordResponse, Status> {
        let caller = Caller::of(&request)?;
        let req = request.get_ref();
        let staff_id = id(&req.staff_id, "staff_id")?;
        let why = reason(&req.reason, false)?;
        if req.temporary_password.len() > 256 {
            return Err(AppError::invalid("temporary_password", "is too long").into());
        }
        let (given, remove_totp) = (req.temporary_password.clone(), req.remove_totp);
        let ctx = caller.ctx.clone();
        let reply = self
            .mutate(
                &request,
                &caller.tenant(),
                "ResetStaffPassword",
                move |app, txn| {
                    Box::pin(async move {
                        let generated = given.is_empty();
                        let password = if generated {
                            generated_password()?
                        } else {
                            given
                        };
                        app.reset_staff_password(
                            txn,
                            &ctx,
                            &staff_id,
                            &password,
                            remove_totp,
                            &why,
                        )
                        .await?;
                        // Sealed in the stored reply (a retry returns the same password).
                        Ok(pb::ResetStaffPasswordResponse {
                            generated_password: if generated {
                                seal(&app, &password)?
                            } else {
                                String::new()
                            },
                        })
                    })
                },
            )
            .await?;
        let generated_password = if reply.generated_password.is_empty() {
            String::new()
        } else {
            open(&self.app, &reply.generated_password)?
        };
        Ok(pb::ResetStaffPasswordResponse { generated_password })
    }
}

impl StaffAuthApi {
    /// ChangeStaffPassword, logged in (current password) or with a PASSWORD_CHANGE_REQUIRED challenge.
    pub(super) async fn change_staff_password_rpc(
        &self,
        request: Request<pb::ChangeStaffPasswordRequest>,
    ) -> Result<pb::ChangeStaffPasswordResponse, Status> {
        let client = client_info(&request);
        let req = request.get_ref();
        if req.new_password.len() > 256 {
            return Err(AppError::invalid("new_password", "is too long").into());
        }
        if req.challenge_token.is_empty() {
            let caller = Caller::of(&request)?;
            let (tenant, staff_id) = staff_self(&caller);
            bounded(&req.current_password, "current_password", 256)?;
            self.dedupe(&request, &tenant, "ChangeStaffPassword", async {
                Ok(self
                    .app
                    .change_password_logged_in(
                        &tenant,
                        &staff_id,
                        caller.sid.as_deref(),
                        &req.current_password,
                        &req.new_password,
                    )
                    .await?)
            })
            .await?;
            // The caller's own session stays valid: nothing to continue.
            return Ok(pb::ChangeStaffPasswordResponse { result: None });
        }
        let login = self
            .dedupe(&request, "challenge", "ChangeStaffPassword", async {
                Ok(self
                    .app
                    .change_password_with_challenge(
                        &req.challenge_token,
                        &req.new_password,
                        &client,
                    )
                    .await?)
            })
            .await?;
        Ok(pb::ChangeStaffPasswordResponse {
            result: Some(self.with_roles(login).await?),
        })
    }
}
