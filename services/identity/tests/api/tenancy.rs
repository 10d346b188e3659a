//! Tenancy: tenant settings, the platform's tenant administration (suspension), and WeChat Pay
//! configuration.

pub mod pay_config;
pub mod settings;
