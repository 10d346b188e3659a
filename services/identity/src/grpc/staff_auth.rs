//! StaffAuthService handlers.

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};

use super::token::token_pair;
use super::{StaffAuthApi, client_info};
use crate::app::AppError;
use crate::app::staff_auth::StaffLogin;
use crate::events::timestamp;

fn role_of(name: &str) -> pb::StaffRole {
    pb::StaffRole::from_str_name(&name.to_ascii_uppercase()).unwrap_or(pb::StaffRole::Unspecified)
}

/// The wire form of a login step.
fn result(login: StaffLogin, roles: Vec<(String, String)>) -> pb::StaffLoginResult {
    use pb::staff_login_result::Outcome;
    match login {
        StaffLogin::Tokens(issued, staff) => pb::StaffLoginResult {
            outcome: Some(Outcome::Tokens(token_pair(&issued))),
            staff: Some(pb::Staff {
                staff_id: staff.id.clone(),
                login_name: staff.login_name.clone(),
                display_name: staff.display_name.clone(),
                primary_org_unit_id: staff.home_org_id.clone(),
                status: if staff.status == "ACTIVE" {
                    pb::StaffStatus::Active
                } else {
                    pb::StaffStatus::Disabled
                } as i32,
                roles: roles
                    .iter()
                    .map(|(role, path)| pb::RoleGrant {
                        staff_id: staff.id.clone(),
                        role: role_of(role) as i32,
                        org_unit_id: path.rsplit('/').next().unwrap_or_default().to_owned(),
                        ..Default::default()
                    })
                    .collect(),
                password_change_required: staff.must_change_password,
                create_time: Some(timestamp(staff.created_at)),
                ..Default::default()
            }),
        },
        StaffLogin::PasswordChangeRequired { token, expires_at } => pb::StaffLoginResult {
            outcome: Some(Outcome::Challenge(pb::LoginChallenge {
                kind: pb::LoginChallengeKind::PasswordChangeRequired as i32,
                challenge_token: token,
                expire_time: Some(timestamp(expires_at)),
            })),
            staff: None,
        },
    }
}

impl StaffAuthApi {
    async fn with_roles(&self, login: StaffLogin) -> Result<pb::StaffLoginResult, Status> {
        let roles = match &login {
            StaffLogin::Tokens(_, staff) => {
                self.app.staff_roles(&staff.tenant_id, &staff.id).await?
            }
            StaffLogin::PasswordChangeRequired { .. } => Vec::new(),
        };
        Ok(result(login, roles))
    }
}

#[tonic::async_trait]
impl pb::staff_auth_service_server::StaffAuthService for StaffAuthApi {
    #[tracing::instrument(skip_all)]
    async fn login_staff(
        &self,
        request: Request<pb::LoginStaffRequest>,
    ) -> Result<Response<pb::LoginStaffResponse>, Status> {
        let client = client_info(&request);
        let req = request.get_ref();
        if req.tenant_code.is_empty() || req.tenant_code.len() > 32 {
            return Err(AppError::invalid("tenant_code", "must be 1..32 characters").into());
        }
        let login_name = match &req.identifier {
            Some(pb::login_staff_request::Identifier::LoginName(name))
                if !name.is_empty() && name.len() <= 64 =>
            {
                name.clone()
            }
            Some(pb::login_staff_request::Identifier::Employee(_)) => {
                return Err(Status::unimplemented(
                    "employee-number login is not implemented yet",
                ));
            }
            _ => return Err(AppError::invalid("login_name", "must be 1..64 characters").into()),
        };
        if req.password.is_empty() || req.password.len() > 256 {
            return Err(AppError::invalid("password", "must be 1..256 characters").into());
        }
        let login = self
            .dedupe(&request, &req.tenant_code, "LoginStaff", async {
                Ok(self
                    .app
                    .login_staff(&req.tenant_code, &login_name, &req.password, &client)
                    .await?)
            })
            .await?;
        Ok(Response::new(pb::LoginStaffResponse {
            result: Some(self.with_roles(login).await?),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn change_staff_password(
        &self,
        request: Request<pb::ChangeStaffPasswordRequest>,
    ) -> Result<Response<pb::ChangeStaffPasswordResponse>, Status> {
        let client = client_info(&request);
        let req = request.get_ref();
        if req.challenge_token.is_empty() {
            // The logged-in variant (with current_password) is not implemented yet.
            return Err(Status::unimplemented(
                "ChangeStaffPassword with current_password is not implemented yet",
            ));
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
}
