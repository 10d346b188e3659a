//! Staff: accounts and their administration (create, update, disable/enable, unlock), role
//! grants and guide codes, and staff authentication — password login with lockout, the TOTP
//! second factor, login challenges and password changes.

pub mod account_status;
pub mod accounts;
pub mod challenges;
pub mod guide_codes;
pub mod lockout;
pub mod login;
pub mod password_policy;
pub mod passwords;
pub mod reads;
pub mod roles;
pub mod scope;
pub mod totp;
pub mod totp_challenge;
