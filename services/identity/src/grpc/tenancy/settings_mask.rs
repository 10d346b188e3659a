//! The update mask of UpdateTenantSettings: which paths exist and how their values merge into
//! the stored document.

use siyu_proto::identity::v1 as pb;

use crate::app::tenancy::defaults::Defaults;
use crate::error::AppError;

/// Merges the masked fields of `new` into `current`; every bad path or value at once.
pub(super) fn merge(
    current: &Defaults,
    new: &pb::TenantSettings,
    paths: &[String],
) -> Result<(Defaults, Option<String>), AppError> {
    let mut out = current.clone();
    let mut privacy = None;
    let mut bad = Vec::new();
    let pts = new.points_defaults.unwrap_or_default();
    let ord = new.order_defaults.clone().unwrap_or_default();
    let sec = new.security.unwrap_or_default();
    for path in paths {
        let (head, leaf) = path.split_once('.').unwrap_or((path.as_str(), ""));
        let known = match (head, leaf) {
            ("points_defaults", leaf) => {
                let (p, all) = (&mut out.points, leaf.is_empty());
                let mut hit = false;
                if all || leaf == "earn_points_per_yuan" {
                    p.earn_points_per_yuan = pts.earn_points_per_yuan;
                    hit = true;
                }
                if all || leaf == "redeem_points_per_yuan" {
                    p.redeem_points_per_yuan = pts.redeem_points_per_yuan;
                    hit = true;
                }
                if all || leaf == "max_points_deduction_bps" {
                    p.max_points_deduction_bps = pts.max_points_deduction_bps;
                    hit = true;
                }
                if all || leaf == "points_expiry_years" {
                    p.points_expiry_years = pts.points_expiry_years;
                    hit = true;
                }
                hit
            }
            ("order_defaults", leaf) => {
                let (o, all) = (&mut out.orders, leaf.is_empty());
                let mut hit = false;
                if all || leaf == "unpaid_timeout_seconds" {
                    o.unpaid_timeout_seconds = ord.unpaid_timeout_seconds;
                    hit = true;
                }
                if all || leaf == "auto_complete_days" {
                    o.auto_complete_days = ord.auto_complete_days;
                    hit = true;
                }
                if all || leaf == "after_sale_window_days" {
                    o.after_sale_window_days = ord.after_sale_window_days;
                    hit = true;
                }
                if all || leaf == "currency_code" {
                    o.currency_code.clone_from(&ord.currency_code);
                    hit = true;
                }
                hit
            }
            ("security", leaf) => {
                let (s, all) = (&mut out.security, leaf.is_empty());
                let mut hit = false;
                if all || leaf == "staff_lockout_threshold" {
                    s.staff_lockout_threshold = sec.staff_lockout_threshold;
                    hit = true;
                }
                if all || leaf == "staff_lockout_seconds" {
                    s.staff_lockout_seconds = sec.staff_lockout_seconds;
                    hit = true;
                }
                if all || leaf == "staff_password_max_age_days" {
                    s.staff_password_max_age_days = sec.staff_password_max_age_days;
                    hit = true;
                }
                if all || leaf == "require_totp_for_admins" {
                    s.require_totp_for_admins = sec.require_totp_for_admins;
                    hit = true;
                }
                hit
            }
            ("privacy_policy_version", "") => {
                let v = new.privacy_policy_version.trim();
                if v.is_empty() || v.chars().count() > 32 {
                    bad.push((
                        "settings.privacy_policy_version".to_owned(),
                        "must be 1..32 characters".to_owned(),
                    ));
                }
                privacy = Some(v.to_owned());
                true
            }
            _ => false,
        };
        if !known {
            bad.push((
                "update_mask".to_owned(),
                format!("path {path:?} is not updatable here"),
            ));
        }
    }
    if paths.is_empty() {
        bad.push((
            "update_mask".to_owned(),
            "must name at least one path".to_owned(),
        ));
    }
    bad.extend(out.violations());
    if bad.is_empty() {
        Ok((out, privacy))
    } else {
        Err(AppError::InvalidArgument {
            reason: "INVALID_ARGUMENT",
            fields: bad,
        })
    }
}
