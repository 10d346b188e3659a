//! Consumers (the end users of a tenant's mini-programs): WeChat login, phone OTPs and phone
//! binding, identity links, profiles, blocking, look-ups and contacts.

pub mod blocking;
pub mod contacts;
pub mod links;
pub mod lookups;
pub mod otp;
pub mod otp_login;
pub mod phone_bind;
pub mod profiles;
pub mod users;
pub mod wechat_login;

use crate::repo::consumers::IdentityKind;

impl IdentityKind {
    /// True for the kinds a consumer logs in with (WeChat openid, phone).
    pub const fn logs_in(self) -> bool {
        matches!(self, Self::Openid | Self::Phone)
    }
}
