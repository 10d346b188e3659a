//! StaffService and StaffAuthService: each RPC dispatches to the handler file of its concern —
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

use siyu_core::TenantId;
use siyu_proto::identity::v1 as pb;
use tonic::Request;

use crate::error::AppError;
use crate::grpc::{Caller, R, StaffApi, StaffAuthApi};

/// (tenant, staff id) of the staff member calling a self-service RPC (the contract admits
/// staff only).
fn staff_self(caller: &Caller) -> (TenantId, String) {
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
    async fn create_staff(
        &self,
        request: Request<pb::CreateStaffRequest>,
    ) -> R<pb::CreateStaffResponse> {
        accounts::create(self, request).await
    }

    async fn get_staff(&self, request: Request<pb::GetStaffRequest>) -> R<pb::GetStaffResponse> {
        accounts::get(self, request).await
    }

    async fn get_current_staff(
        &self,
        request: Request<pb::GetCurrentStaffRequest>,
    ) -> R<pb::GetCurrentStaffResponse> {
        accounts::current(self, request).await
    }

    async fn list_staff(&self, request: Request<pb::ListStaffRequest>) -> R<pb::ListStaffResponse> {
        accounts::list(self, request).await
    }

    async fn update_staff(
        &self,
        request: Request<pb::UpdateStaffRequest>,
    ) -> R<pb::UpdateStaffResponse> {
        accounts::update(self, request).await
    }

    async fn disable_staff(
        &self,
        request: Request<pb::DisableStaffRequest>,
    ) -> R<pb::DisableStaffResponse> {
        account_status::disable(self, request).await
    }

    async fn enable_staff(
        &self,
        request: Request<pb::EnableStaffRequest>,
    ) -> R<pb::EnableStaffResponse> {
        account_status::enable(self, request).await
    }

    async fn unlock_staff(
        &self,
        request: Request<pb::UnlockStaffRequest>,
    ) -> R<pb::UnlockStaffResponse> {
        account_status::unlock(self, request).await
    }

    async fn reset_staff_password(
        &self,
        request: Request<pb::ResetStaffPasswordRequest>,
    ) -> R<pb::ResetStaffPasswordResponse> {
        passwords::reset(self, request).await
    }

    async fn grant_role(&self, request: Request<pb::GrantRoleRequest>) -> R<pb::GrantRoleResponse> {
        roles::grant(self, request).await
    }

    async fn revoke_role(
        &self,
        request: Request<pb::RevokeRoleRequest>,
    ) -> R<pb::RevokeRoleResponse> {
        roles::revoke(self, request).await
    }

    async fn list_role_grants(
        &self,
        request: Request<pb::ListRoleGrantsRequest>,
    ) -> R<pb::ListRoleGrantsResponse> {
        roles::list(self, request).await
    }

    async fn issue_guide_code(
        &self,
        request: Request<pb::IssueGuideCodeRequest>,
    ) -> R<pb::IssueGuideCodeResponse> {
        guide_codes::issue(self, request).await
    }

    async fn list_guide_codes(
        &self,
        request: Request<pb::ListGuideCodesRequest>,
    ) -> R<pb::ListGuideCodesResponse> {
        guide_codes::list(self, request).await
    }

    async fn resolve_guide_code(
        &self,
        request: Request<pb::ResolveGuideCodeRequest>,
    ) -> R<pb::ResolveGuideCodeResponse> {
        guide_codes::resolve(self, request).await
    }
}

#[tonic::async_trait]
impl pb::staff_auth_service_server::StaffAuthService for StaffAuthApi {
    async fn login_staff(
        &self,
        request: Request<pb::LoginStaffRequest>,
    ) -> R<pb::LoginStaffResponse> {
        login::login(self, request).await
    }

    async fn verify_staff_totp(
        &self,
        request: Request<pb::VerifyStaffTotpRequest>,
    ) -> R<pb::VerifyStaffTotpResponse> {
        totp::verify(self, request).await
    }

    async fn change_staff_password(
        &self,
        request: Request<pb::ChangeStaffPasswordRequest>,
    ) -> R<pb::ChangeStaffPasswordResponse> {
        passwords::change(self, request).await
    }

    async fn enroll_totp(
        &self,
        request: Request<pb::EnrollTotpRequest>,
    ) -> R<pb::EnrollTotpResponse> {
        totp::enroll(self, request).await
    }

    async fn confirm_totp(
        &self,
        request: Request<pb::ConfirmTotpRequest>,
    ) -> R<pb::ConfirmTotpResponse> {
        totp::confirm(self, request).await
    }

    async fn disable_totp(
        &self,
        request: Request<pb::DisableTotpRequest>,
    ) -> R<pb::DisableTotpResponse> {
        totp::disable(self, request).await
    }
}
