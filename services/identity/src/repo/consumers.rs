//! Storage of consumers: users, their linked identities and the user row locks, single identity
//! links, profiles, look-ups by identity, and phone OTPs.

pub mod identities;
pub mod links;
pub mod lookups;
pub mod otps;
pub mod profiles;
pub mod users;

crate::repo::text_enum! {
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

crate::repo::text_enum! {
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

crate::repo::text_enum! {
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

crate::repo::text_enum! {
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
