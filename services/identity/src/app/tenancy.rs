//! Tenancy: tenants and the platform bootstrap, the platform's tenant administration
//! (suspension), a tenant's WeChat apps, its settings and their defaults, and WeChat Pay
//! configuration with the credential reads of internal services.

pub mod apps;
pub mod defaults;
pub mod pay_config;
pub mod platform_admin;
pub mod settings;
pub mod tenants;
