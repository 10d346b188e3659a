//! Storage of staff: accounts (login lookups, failure counters, passwords), their
//! administration, role grants, guide codes and TOTP secrets with recovery codes.

pub mod accounts;
pub mod admin;
pub mod guide_codes;
pub mod roles;
pub mod totp;

crate::repo::text_enum! {
    /// Whether a staff account may log in.
    pub enum StaffStatus {
        /// May log in.
        Active = "ACTIVE",
        /// Disabled by an admin: no login, every session revoked.
        Disabled = "DISABLED",
    }
}
