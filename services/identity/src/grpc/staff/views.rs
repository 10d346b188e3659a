//! Staff, role grant and guide code messages as the contract shows them.

use siyu_core::Ctx;
use siyu_proto::identity::v1 as pb;
use siyu_proto::time::timestamp;

use crate::app::staff::accounts::StaffView;
use crate::app::staff::scope::sees_phone;
use crate::otp::mask_phone;
use crate::repo::staff::StaffStatus;
use crate::repo::staff::guide_codes::GuideCode;
use crate::repo::staff::roles::RoleGrant;

/// The token name of a role ("tenant_admin"), None for UNSPECIFIED or unknown values.
pub fn role_name(value: i32) -> Option<String> {
    let role = pb::StaffRole::try_from(value).ok()?;
    (role != pb::StaffRole::Unspecified).then(|| {
        role.as_str_name()
            .trim_start_matches("STAFF_ROLE_")
            .to_ascii_lowercase()
    })
}

pub(super) fn role_of(name: &str) -> i32 {
    pb::StaffRole::from_str_name(&format!("STAFF_ROLE_{}", name.to_ascii_uppercase()))
        .unwrap_or(pb::StaffRole::Unspecified) as i32
}

pub(super) fn grant_view(g: &RoleGrant) -> pb::RoleGrant {
    pb::RoleGrant {
        grant_id: g.id.clone(),
        staff_id: g.staff_id.clone(),
        role: role_of(&g.role),
        org_unit_id: g.org_unit_id.clone(),
        org_unit_name: g.org_unit_name.clone(),
        granted_by: g.granted_by.clone(),
        grant_time: Some(timestamp(g.created_at)),
    }
}

/// The wire form of an account as `ctx` may see it (the phone by `sees_phone`).
pub fn staff_view(v: &StaffView, ctx: &Ctx) -> pb::Staff {
    let s = &v.staff;
    let clear = sees_phone(ctx, &s.id, &v.path);
    pb::Staff {
        staff_id: s.id.clone(),
        login_name: s.login_name.clone(),
        display_name: s.display_name.clone(),
        employee_no: s.employee_no.clone(),
        phone: if clear {
            s.phone.clone()
        } else {
            // Staff phones are optional: an empty one stays empty rather than "****".
            if s.phone.is_empty() {
                String::new()
            } else {
                mask_phone(&s.phone)
            }
        },
        email: s.email.clone(),
        avatar_url: s.avatar_url.clone(),
        primary_org_unit_id: s.home_org_id.clone(),
        status: staff_status(s.status) as i32,
        roles: v.grants.iter().map(grant_view).collect(),
        totp_enabled: v.totp_enabled,
        password_change_required: s.must_change_password,
        locked_until: s.locked_until.map(timestamp),
        wecom_user_id: s.wecom_user_id.clone(),
        last_login_time: s.last_login_at.map(timestamp),
        create_time: Some(timestamp(s.created_at)),
        update_time: Some(timestamp(s.updated_at)),
        etag: s.version.to_string(),
    }
}

/// The wire status of an account status.
pub(super) fn staff_status(status: StaffStatus) -> pb::StaffStatus {
    match status {
        StaffStatus::Active => pb::StaffStatus::Active,
        StaffStatus::Disabled => pb::StaffStatus::Disabled,
    }
}

pub(super) fn code_view(c: &GuideCode) -> pb::GuideCode {
    pb::GuideCode {
        code: c.code.clone(),
        staff_id: c.staff_id.clone(),
        store_id: c.store_id.clone(),
        status: if c.active {
            pb::GuideCodeStatus::Active
        } else {
            pb::GuideCodeStatus::Retired
        } as i32,
        issue_time: Some(timestamp(c.created_at)),
        retire_time: c.retire_at.map(timestamp),
    }
}
