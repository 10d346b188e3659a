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

crate::app::text_enum! {
    /// Where a consumer account stands.
    pub enum UserStatus {
        /// In use.
        Active = "ACTIVE",
        /// Blocked by customer service: no login, every session revoked.
        Blocked = "BLOCKED",
        /// Merged into another user (`merged_into`): a tombstone.
        Merged = "MERGED",
        /// Erased at the user's request: a tombstone without personal data.
        Erased = "ERASED",
    }
}

crate::app::text_enum! {
    /// What an identity linked to a user is.
    pub enum IdentityKind {
        /// A WeChat openid, scoped by its app.
        Openid = "OPENID",
        /// A WeChat unionid (unscoped).
        Unionid = "UNIONID",
        /// A verified phone number, E.164 (unscoped).
        Phone = "PHONE",
        /// A WeCom external user id, scoped by its corp.
        Wecom = "WECOM",
        /// A member card number (unscoped).
        Card = "CARD",
    }
}

impl IdentityKind {
    /// True for the kinds a consumer logs in with (WeChat openid, phone).
    pub const fn logs_in(self) -> bool {
        matches!(self, Self::Openid | Self::Phone)
    }
}

crate::app::text_enum! {
    /// What a phone OTP confirms.
    pub enum OtpPurpose {
        /// LoginWithPhoneOtp.
        Login = "LOGIN",
        /// BindPhoneWithOtp.
        Bind = "BIND",
        /// Confirming an erasure.
        Confirm = "CONFIRM",
    }
}

crate::app::text_enum! {
    /// A consumer's stated gender.
    pub enum Gender {
        /// Male.
        Male = "MALE",
        /// Female.
        Female = "FEMALE",
        /// Other.
        Other = "OTHER",
    }
}
