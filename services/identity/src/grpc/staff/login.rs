//! StaffAuthService: LoginStaff (login name, or store code + employee number), and the wire
//! form of a login step (`StaffLoginResult`) every login path answers with.

use siyu_proto::identity::v1 as pb;
use siyu_proto::time::timestamp;
use tonic::{Request, Response};

use crate::app::staff::challenges::ChallengeKind;
use crate::app::staff::login::{StaffIdent, StaffLogin};
use crate::error::AppError;
use crate::grpc::staff::bounded;
use crate::grpc::staff::views::{role_of, staff_status};
use crate::grpc::tokens::token_pair;
use crate::grpc::{Api, R, client_info};

fn challenge_kind(kind: ChallengeKind) -> pb::LoginChallengeKind {
    match kind {
        ChallengeKind::Totp => pb::LoginChallengeKind::TotpRequired,
        ChallengeKind::PasswordChange => pb::LoginChallengeKind::PasswordChangeRequired,
        ChallengeKind::TotpEnrollment => pb::LoginChallengeKind::TotpEnrollmentRequired,
    }
}

/// The wire form of a login step.
fn result(login: StaffLogin, roles: Vec<(String, String)>, totp: bool) -> pb::StaffLoginResult {
    use pb::staff_login_result::Outcome;
    match login {
        StaffLogin::Tokens(issued, staff) => pb::StaffLoginResult {
            outcome: Some(Outcome::Tokens(token_pair(&issued))),
            staff: Some(pb::Staff {
                staff_id: staff.id.clone(),
                login_name: staff.login_name.clone(),
                display_name: staff.display_name.clone(),
                primary_org_unit_id: staff.home_org_id.clone(),
                status: staff_status(staff.status) as i32,
                roles: roles
                    .iter()
                    .map(|(role, path)| pb::RoleGrant {
                        staff_id: staff.id.clone(),
                        role: role_of(role),
                        org_unit_id: path.rsplit('/').next().unwrap_or_default().to_owned(),
                        ..Default::default()
                    })
                    .collect(),
                totp_enabled: totp,
                password_change_required: staff.must_change_password,
                create_time: Some(timestamp(staff.created_at)),
                ..Default::default()
            }),
        },
        StaffLogin::Challenge {
            kind,
            token,
            expires_at,
        } => pb::StaffLoginResult {
            outcome: Some(Outcome::Challenge(pb::LoginChallenge {
                kind: challenge_kind(kind) as i32,
                challenge_token: token,
                expire_time: Some(timestamp(expires_at)),
            })),
            staff: None,
        },
    }
}

/// LoginStaff by login name, or by store code and employee number. It mints tokens, so a key
/// only de-duplicates.
#[tracing::instrument(skip_all, fields(tenant_code = %request.get_ref().tenant_code))]
pub(super) async fn login(
    api: &Api,
    request: Request<pb::LoginStaffRequest>,
) -> R<pb::LoginStaffResponse> {
    let client = client_info(&request);
    let req = request.get_ref();
    let ident = ident_in(req)?;
    let login = api
        .mutations
        .dedupe(&request, &req.tenant_code, async {
            Ok(api
                .app
                .login_staff(&req.tenant_code, ident, &req.password, &client)
                .await?)
        })
        .await?;
    Ok(Response::new(pb::LoginStaffResponse {
        result: Some(login_result(api, login).await?),
    }))
}

/// Who a LoginStaff request names, with every field bounded.
fn ident_in(req: &pb::LoginStaffRequest) -> Result<StaffIdent<'_>, AppError> {
    use pb::login_staff_request::Identifier;
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
        None => return Err(AppError::invalid("login_name", "must be 1..64 characters")),
    };
    bounded(&req.password, "password", 256)?;
    Ok(ident)
}

/// The wire result of `login`, with the staff's roles and TOTP state when it holds tokens.
pub(super) async fn login_result(
    api: &Api,
    login: StaffLogin,
) -> Result<pb::StaffLoginResult, AppError> {
    let (roles, totp) = match &login {
        StaffLogin::Tokens(_, staff) => (
            api.app.staff_roles(staff.tenant_id, &staff.id).await?,
            api.app
                .staff_totp_enabled(staff.tenant_id, &staff.id)
                .await?,
        ),
        StaffLogin::Challenge { .. } => (Vec::new(), false),
    };
    Ok(result(login, roles, totp))
}
