//! Checks and parsing of StaffService input: lengths, phones, login names, update masks,
//! reasons, roles, and the requests built from them.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use siyu_proto::identity::v1 as pb;

use crate::app::staff::accounts::StaffFields;
use crate::app::staff::password_policy::check_password;
use crate::app::staff::reads::StaffFilter;
use crate::crypto::random_bytes;
use crate::error::AppError;
use crate::grpc::staff::views::role_name;
use crate::otp::is_mainland_mobile;
use crate::repo::staff::StaffStatus;

/// A CreateStaff request.
pub(super) struct NewStaffIn {
    /// Login name.
    pub login: String,
    /// Every settable field.
    pub fields: StaffFields,
    /// The initial password (changed at the first login).
    pub password: String,
    /// First grants: (role, org unit).
    pub roles: Vec<(String, String)>,
}

/// An UpdateStaff request.
pub(super) struct StaffEdit {
    /// The account.
    pub id: String,
    /// The etag read.
    pub etag: String,
    /// The masked fields.
    pub fields: StaffFields,
}

/// Parses a CreateStaff request.
pub(super) fn new_staff_in(req: &pb::CreateStaffRequest) -> Result<NewStaffIn, AppError> {
    let s = req
        .staff
        .as_ref()
        .ok_or_else(|| AppError::invalid("staff", "is required"))?;
    let login = check_login_name(&s.login_name)?;
    let mut fields = StaffFields::default();
    for path in [
        "display_name",
        "employee_no",
        "phone",
        "email",
        "avatar_url",
        "primary_org_unit_id",
        "wecom_user_id",
    ] {
        field(s, path, &mut fields)?;
    }
    if req.initial_password.is_empty() || req.initial_password.len() > 256 {
        return Err(AppError::invalid("initial_password", "is required"));
    }
    let mut roles = Vec::new();
    for (i, g) in req.roles.iter().enumerate() {
        let role = role_name(g.role)
            .ok_or_else(|| AppError::invalid(&format!("roles[{i}].role"), "is required"))?;
        roles.push((
            role,
            id(&g.org_unit_id, &format!("roles[{i}].org_unit_id"))?,
        ));
    }
    Ok(NewStaffIn {
        login,
        fields,
        password: req.initial_password.clone(),
        roles,
    })
}

/// Parses an UpdateStaff request (every masked field validated).
pub(super) fn staff_edit_in(req: &pb::UpdateStaffRequest) -> Result<StaffEdit, AppError> {
    let s = req
        .staff
        .as_ref()
        .ok_or_else(|| AppError::invalid("staff", "is required"))?;
    let id = id(&s.staff_id, "staff.staff_id")?;
    let etag = check_len(&s.etag, "staff.etag", 1, 64)?;
    let paths = req
        .update_mask
        .as_ref()
        .map(|m| m.paths.as_slice())
        .unwrap_or_default();
    if paths.is_empty() {
        return Err(AppError::invalid("update_mask", "is required"));
    }
    let mut fields = StaffFields::default();
    for path in paths {
        field(s, path, &mut fields)?;
    }
    Ok(StaffEdit { id, etag, fields })
}

/// The filters of a ListStaff request.
pub(super) fn staff_filter_in(req: &pb::ListStaffRequest) -> Result<StaffFilter, AppError> {
    let role = role_filter(req.role)?;
    let status = match pb::StaffStatus::try_from(req.status) {
        Ok(pb::StaffStatus::Unspecified) => None,
        Ok(pb::StaffStatus::Active) => Some(StaffStatus::Active),
        Ok(pb::StaffStatus::Disabled) => Some(StaffStatus::Disabled),
        Err(_) => return Err(AppError::invalid("status", "is not a known status")),
    };
    if req.query.chars().count() > 64 {
        return Err(AppError::invalid("query", "must be at most 64 characters"));
    }
    let under = opt_id(&req.org_unit_id, "org_unit_id")?;
    Ok(StaffFilter {
        under: (!under.is_empty()).then_some(under),
        role,
        status,
        query: req.query.to_lowercase(),
    })
}

/// An optional role filter (UNSPECIFIED = none).
pub(super) fn role_filter(value: i32) -> Result<Option<String>, AppError> {
    match value {
        0 => Ok(None),
        r => role_name(r)
            .map(Some)
            .ok_or_else(|| AppError::invalid("role", "is not a known role")),
    }
}

pub(super) fn check_len(
    value: &str,
    field: &str,
    lo: usize,
    hi: usize,
) -> Result<String, AppError> {
    let n = value.trim().chars().count();
    if (lo..=hi).contains(&n) {
        Ok(value.trim().to_owned())
    } else {
        Err(AppError::invalid(
            field,
            &format!("must be {lo}..{hi} characters"),
        ))
    }
}

/// A mainland mobile number: 11 digits starting 1[3-9].
pub(super) fn check_phone(phone: &str, field: &str) -> Result<String, AppError> {
    if is_mainland_mobile(phone) {
        Ok(phone.to_owned())
    } else {
        Err(AppError::invalid(
            field,
            "must be an 11-digit mainland mobile number",
        ))
    }
}

pub(super) fn check_login_name(name: &str) -> Result<String, AppError> {
    let ok = (3..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(name.to_owned())
    } else {
        Err(AppError::invalid(
            "staff.login_name",
            "must be 3..64 of a-z, 0-9, '.', '_', '-'",
        ))
    }
}

/// The settable field `path` of `s`, validated.
pub(super) fn field(s: &pb::Staff, path: &str, f: &mut StaffFields) -> Result<(), AppError> {
    match path {
        "display_name" => {
            f.display_name = Some(check_len(&s.display_name, "staff.display_name", 1, 64)?)
        }
        "employee_no" => {
            f.employee_no = Some(check_len(&s.employee_no, "staff.employee_no", 0, 32)?)
        }
        "phone" => {
            f.phone = Some(if s.phone.is_empty() {
                String::new()
            } else {
                check_phone(&s.phone, "staff.phone")?
            });
        }
        "email" => {
            if !s.email.is_empty() && (!s.email.contains('@') || s.email.len() > 128) {
                return Err(AppError::invalid(
                    "staff.email",
                    "must be an e-mail address",
                ));
            }
            f.email = Some(s.email.clone());
        }
        "avatar_url" => {
            let ok = s.avatar_url.is_empty()
                || (s.avatar_url.len() <= 512
                    && (s.avatar_url.starts_with("https://")
                        || s.avatar_url.starts_with("http://")));
            if !ok {
                return Err(AppError::invalid(
                    "staff.avatar_url",
                    "must be an http(s) URL",
                ));
            }
            f.avatar_url = Some(s.avatar_url.clone());
        }
        "primary_org_unit_id" => {
            f.primary_org_unit_id = Some(id(&s.primary_org_unit_id, "staff.primary_org_unit_id")?);
        }
        "wecom_user_id" => {
            f.wecom_user_id = Some(check_len(&s.wecom_user_id, "staff.wecom_user_id", 0, 64)?)
        }
        _ => return Err(AppError::invalid("update_mask", "has an unknown path")),
    }
    Ok(())
}

/// A required id, parsed at the boundary (as text for the app).
pub(super) fn id(value: &str, field: &str) -> Result<String, AppError> {
    crate::grpc::ids::id(field, value).map(|id| id.to_string())
}

/// An optional id filter (empty = none), parsed at the boundary.
pub(super) fn opt_id(value: &str, field: &str) -> Result<String, AppError> {
    crate::grpc::ids::opt_id(field, value).map(|id| id.map(|id| id.to_string()).unwrap_or_default())
}

pub(super) fn reason(value: &str, required: bool) -> Result<String, AppError> {
    check_len(value, "reason", usize::from(required), 256)
}

/// A 16-character temporary password that passes the policy.
pub(super) fn generated_password() -> Result<String, AppError> {
    for _ in 0..16 {
        let candidate = URL_SAFE_NO_PAD.encode(random_bytes::<12>()?);
        if check_password(&candidate, "temporary_password").is_ok() {
            return Ok(candidate);
        }
    }
    Err(AppError::Internal("could not generate a password".into()))
}
