//! StaffAuthService handlers: password login (login name or store + employee number), the
//! TOTP step and enrolment (`staff_auth/totp.rs`), and password change.

mod result;
mod totp;

use siyu_core::PrincipalKind;
use siyu_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};

use crate::app::staff_auth::StaffIdent;
use crate::error::AppError;
use crate::grpc::{Caller, StaffAuthApi, client_info};

/// Requires a staff caller (the self-service RPCs).
fn staff_self(caller: &Caller) -> Result<(String, String), Status> {
    if caller.ctx.principal.kind == PrincipalKind::Staff {
        Ok((caller.tenant(), caller.ctx.principal.subject.clone()))
    } else {
        Err(AppError::PermissionDenied("PERMISSION_DENIED").into())
    }
}

/// One bounded text field, else INVALID_ARGUMENT naming it.
fn bounded(value: &str, field: &str, max: usize) -> Result<(), AppError> {
    if value.is_empty() || value.len() > max {
        return Err(AppError::invalid(
            field,
            &format!("must be 1..{max} characters"),
        ));
    }
    Ok(())
}

#[tonic::async_trait]
impl pb::staff_auth_service_server::StaffAuthService for StaffAuthApi {
    #[tracing::instrument(skip_all)]
    async fn login_staff(
        &self,
        request: Request<pb::LoginStaffRequest>,
    ) -> Result<Response<pb::LoginStaffResponse>, Status> {
        use pb::login_staff_request::Identifier;
        let client = client_info(&request);
        let req = request.get_ref();
        bounded(&req.tenant_code, "tenant_code", 32)?;
        let ident = match &req.identifier {
            Some(Identifier::LoginName(name)) => {
                bounded(name, "login_name", 64)?;
                StaffIdent::Login(name)
            }
            Some(Identifier::Employee(e)) => {
                bounded(&e.store_code, "employee.store_code", 32)?;
                bounded(&e.employee_no, "employee.employee_no", 32)?;
                StaffIdent::Employee {
                    store_code: &e.store_code,
                    employee_no: &e.employee_no,
                }
            }
            None => return Err(AppError::invalid("login_name", "must be 1..64 characters").into()),
        };
        bounded(&req.password, "password", 256)?;
        let login = self
            .dedupe(&request, &req.tenant_code, "LoginStaff", async {
                Ok(self
                    .app
                    .login_staff(&req.tenant_code, ident, &req.password, &client)
                    .await?)
            })
            .await?;
        Ok(Response::new(pb::LoginStaffResponse {
            result: Some(self.with_roles(login).await?),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn verify_staff_totp(
        &self,
        request: Request<pb::VerifyStaffTotpRequest>,
    ) -> Result<Response<pb::VerifyStaffTotpResponse>, Status> {
        self.verify(request).await
    }

    #[tracing::instrument(skip_all)]
    async fn change_staff_password(
        &self,
        request: Request<pb::ChangeStaffPasswordRequest>,
    ) -> Result<Response<pb::ChangeStaffPasswordResponse>, Status> {
        let client = client_info(&request);
        let req = request.get_ref();
        if req.new_password.len() > 256 {
            return Err(AppError::invalid("new_password", "is too long").into());
        }
        if req.challenge_token.is_empty() {
            let caller = self.authenticate(&request).await?;
            let (tenant, staff_id) = staff_self(&caller)?;
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
            return Ok(Response::new(pb::ChangeStaffPasswordResponse {
                result: None,
            }));
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
        Ok(Response::new(pb::ChangeStaffPasswordResponse {
            result: Some(self.with_roles(login).await?),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn enroll_totp(
        &self,
        request: Request<pb::EnrollTotpRequest>,
    ) -> Result<Response<pb::EnrollTotpResponse>, Status> {
        self.enroll(request).await
    }

    #[tracing::instrument(skip_all)]
    async fn confirm_totp(
        &self,
        request: Request<pb::ConfirmTotpRequest>,
    ) -> Result<Response<pb::ConfirmTotpResponse>, Status> {
        self.confirm(request).await
    }

    #[tracing::instrument(skip_all)]
    async fn disable_totp(
        &self,
        request: Request<pb::DisableTotpRequest>,
    ) -> Result<Response<pb::DisableTotpResponse>, Status> {
        self.disable(request).await
    }
}
