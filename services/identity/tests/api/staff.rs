//! Staff: login and lockout, StaffService administration, and TOTP.

pub mod admin;
pub mod login;
pub mod totp;
