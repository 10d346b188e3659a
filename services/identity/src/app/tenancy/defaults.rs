//! The settings document of a tenant: points, order and security defaults with the ranges
//! and defaults tenant.proto documents.

use serde::{Deserialize, Serialize};

/// Points defaults (see `PointsDefaults` in tenant.proto for ranges and defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Points {
    /// Points per CNY paid.
    pub earn_points_per_yuan: i64,
    /// Points per CNY deducted.
    pub redeem_points_per_yuan: i64,
    /// Deduction cap, basis points.
    pub max_points_deduction_bps: i32,
    /// Lot validity in years (0 = never expire).
    pub points_expiry_years: i32,
}

impl Default for Points {
    fn default() -> Self {
        Self {
            earn_points_per_yuan: 1,
            redeem_points_per_yuan: 100,
            max_points_deduction_bps: 5000,
            points_expiry_years: 1,
        }
    }
}

/// Order defaults (see `OrderDefaults`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Orders {
    /// Unpaid order timeout.
    pub unpaid_timeout_seconds: i32,
    /// Auto-completion after delivery.
    pub auto_complete_days: i32,
    /// After-sale window (documents written before the contract's rename spell it
    /// `after_sales_window_days`).
    #[serde(alias = "after_sales_window_days")]
    pub after_sale_window_days: i32,
    /// ISO 4217 currency.
    pub currency_code: String,
}

impl Default for Orders {
    fn default() -> Self {
        Self {
            unpaid_timeout_seconds: 900,
            auto_complete_days: 7,
            after_sale_window_days: 7,
            currency_code: "CNY".into(),
        }
    }
}

/// Security settings (see `SecuritySettings`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Security {
    /// Failed logins that lock.
    pub staff_lockout_threshold: i32,
    /// Lock duration.
    pub staff_lockout_seconds: i32,
    /// Password expiry (0 = none).
    pub staff_password_max_age_days: i32,
    /// TOTP required for admins and auditors.
    pub require_totp_for_admins: bool,
}

impl Default for Security {
    fn default() -> Self {
        Self {
            staff_lockout_threshold: 5,
            staff_lockout_seconds: 900,
            staff_password_max_age_days: 0,
            require_totp_for_admins: false,
        }
    }
}

/// The stored settings document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Defaults {
    /// Points defaults.
    pub points: Points,
    /// Order defaults.
    pub orders: Orders,
    /// Security settings.
    pub security: Security,
}

impl Defaults {
    /// Every out-of-range field as (proto field under `settings.`, description).
    pub fn violations(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut check = |ok: bool, field: &str, range: &str| {
            if !ok {
                out.push((format!("settings.{field}"), format!("must be {range}")));
            }
        };
        let p = &self.points;
        check(
            (0..=10_000).contains(&p.earn_points_per_yuan),
            "points_defaults.earn_points_per_yuan",
            "0..10000",
        );
        check(
            (1..=100_000).contains(&p.redeem_points_per_yuan),
            "points_defaults.redeem_points_per_yuan",
            "1..100000",
        );
        check(
            (0..=10_000).contains(&p.max_points_deduction_bps),
            "points_defaults.max_points_deduction_bps",
            "0..10000",
        );
        check(
            (0..=10).contains(&p.points_expiry_years),
            "points_defaults.points_expiry_years",
            "0..10",
        );
        let o = &self.orders;
        check(
            (60..=86_100).contains(&o.unpaid_timeout_seconds),
            "order_defaults.unpaid_timeout_seconds",
            "60..86100",
        );
        check(
            (1..=30).contains(&o.auto_complete_days),
            "order_defaults.auto_complete_days",
            "1..30",
        );
        check(
            (0..=90).contains(&o.after_sale_window_days),
            "order_defaults.after_sale_window_days",
            "0..90",
        );
        check(
            o.currency_code == "CNY",
            "order_defaults.currency_code",
            "CNY",
        );
        let s = &self.security;
        check(
            (3..=20).contains(&s.staff_lockout_threshold),
            "security.staff_lockout_threshold",
            "3..20",
        );
        check(
            (60..=86_400).contains(&s.staff_lockout_seconds),
            "security.staff_lockout_seconds",
            "60..86400",
        );
        check(
            (0..=365).contains(&s.staff_password_max_age_days),
            "security.staff_password_max_age_days",
            "0..365",
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unpaid_timeout_ends_at_86100_seconds() {
        let mut d = Defaults::default();
        d.orders.unpaid_timeout_seconds = 86_100;
        assert!(d.violations().is_empty());
        d.orders.unpaid_timeout_seconds = 86_101;
        assert_eq!(
            d.violations(),
            [(
                "settings.order_defaults.unpaid_timeout_seconds".to_owned(),
                "must be 60..86100".to_owned()
            )]
        );
    }

    #[test]
    fn documents_stored_before_the_rename_keep_their_window() {
        let old = r#"{"orders":{"after_sales_window_days":15}}"#;
        let d: Defaults = serde_json::from_str(old).unwrap();
        assert_eq!(d.orders.after_sale_window_days, 15);
        let written = serde_json::to_string(&d).unwrap();
        assert!(
            written.contains("\"after_sale_window_days\":15"),
            "{written}"
        );
    }
}
