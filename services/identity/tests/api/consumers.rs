//! Consumers: WeChat login, phone OTPs and binding, identity links, look-ups, and users with
//! their profiles and consents.

pub mod links;
pub mod lookups;
pub mod otp;
pub mod phone_bind;
pub mod users;
pub mod wechat_login;
