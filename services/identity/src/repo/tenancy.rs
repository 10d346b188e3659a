//! Storage of tenancy: tenants, their apps, settings, WeChat Pay configuration and the
//! platform's tenant-wide writes.

pub mod apps;
pub mod pay_config;
pub mod platform_admin;
pub mod settings;
pub mod tenants;

crate::repo::text_enum! {
    /// Whether a tenant's people may log in and its tokens are honoured.
    pub enum TenantStatus {
        /// In business.
        Active = "ACTIVE",
        /// Suspended by the platform: logins and refreshes answer TENANT_SUSPENDED.
        Suspended = "SUSPENDED",
    }
}

crate::repo::text_enum! {
    /// What kind of application an app id names.
    pub enum AppKind {
        /// A WeChat mini-program (小程序).
        MiniProgram = "MINI_PROGRAM",
        /// A WeChat official account (公众号).
        OfficialAccount = "OFFICIAL_ACCOUNT",
        /// WeCom (企业微信): the app id is the corp id.
        Wecom = "WECOM",
        /// An H5 site: a public id without a secret, selecting the tenant for OTP login.
        H5 = "H5",
    }
}
