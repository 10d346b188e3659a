//! StaffService and StaffAuthService: each RPC delegates to the handler file of its concern —
//! accounts, account status, passwords, role grants, guide codes, login and TOTP.

mod account_status;
mod accounts;
mod guide_codes;
mod input;
mod login;
mod passwords;
mod roles;
mod totp;
mod views;

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};

use crate::error::AppError;
use crate::grpc::{Caller, StaffApi, StaffAuthApi};

/// (tenant, staff id) of the staff member calling a self-service RPC (the contract admits
/// staff only).
fn staff_self(caller: &Caller) -> (String, String) {
    (caller.tenant(), caller.ctx.principal.subject.clone())
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
impl pb::staff_service_server::StaffService for StaffApi {
    #[tracing::instrument(skip_all)]
    async fn create_staff(
        &self,
        request: Request<pb::CreateStaffRequest>,
    ) -> Result<Response<pb::CreateStaffResponse>, Status> {
        self.create_staff_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn get_staff(
        &self,
        request: Request<pb::GetStaffRequest>,
    ) -> Result<Response<pb::GetStaffResponse>, Status> {
        self.get_staff_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn get_current_staff(
        &self,
        request: Request<pb::GetCurrentStaffRequest>,
    ) -> Result<Response<pb::GetCurrentStaffResponse>, Status> {
        self.get_current_staff_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn list_staff(
        &self,
        request: Request<pb::ListStaffRequest>,
    ) -> Result<Response<pb::ListStaffResponse>, Status> {
        self.list_staff_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn update_staff(
        &self,
        request: Request<pb::UpdateStaffRequest>,
    ) -> Result<Response<pb::UpdateStaffResponse>, Status> {
        self.update_staff_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn disable_staff(
        &self,
        request: Request<pb::DisableStaffRequest>,
    ) -> Result<Response<pb::DisableStaffResponse>, Status> {
        self.disable_staff_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn enable_staff(
        &self,
        request: Request<pb::EnableStaffRequest>,
    ) -> Result<Response<pb::EnableStaffResponse>, Status> {
        self.enable_staff_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn unlock_staff(
        &self,
        request: Request<pb::UnlockStaffRequest>,
    ) -> Result<Response<pb::UnlockStaffResponse>, Status> {
        self.unlock_staff_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn reset_staff_password(
        &self,
        request: Request<pb::ResetStaffPasswordRequest>,
    ) -> Result<Response<pb::ResetStaffPasswordResponse>, Status> {
        self.reset_staff_password_rpc(request)
            .await
            .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn grant_role(
        &self,
        request: Request<pb::GrantRoleRequest>,
    ) -> Result<Response<pb::GrantRoleResponse>, Status> {
        self.grant_role_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn revoke_role(
        &self,
        request: Request<pb::RevokeRoleRequest>,
    ) -> Result<Response<pb::RevokeRoleResponse>, Status> {
        self.revoke_role_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn list_role_grants(
        &self,
        request: Request<pb::ListRoleGrantsRequest>,
    ) -> Result<Response<pb::ListRoleGrantsResponse>, Status> {
        self.list_role_grants_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn issue_guide_code(
        &self,
        request: Request<pb::IssueGuideCodeRequest>,
    ) -> Result<Response<pb::IssueGuideCodeResponse>, Status> {
        self.issue_guide_code_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn list_guide_codes(
        &self,
        request: Request<pb::ListGuideCodesRequest>,
    ) -> Result<Response<pb::ListGuideCodesResponse>, Status> {
        self.list_guide_codes_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn resolve_guide_code(
        &self,
        request: Request<pb::ResolveGuideCodeRequest>,
    ) -> Result<Response<pb::ResolveGuideCodeResponse>, Status> {
        self.resolve_guide_code_rpc(request)
            .await
            .map(Response::new)
    }
}

#[tonic::async_trait]
impl pb::staff_auth_service_server::StaffAuthService for StaffAuthApi {
    #[tracing::instrument(skip_all)]
    async fn login_staff(
        &self,
        request: Request<pb::LoginStaffRequest>,
    ) -> Result<Response<pb::LoginStaffResponse>, Status> {
        self.login_staff_rpc(request).await.map(Response::new)
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
        self.change_staff_password_rpc(request)
            .await
            .map(Response::new)
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
