//! Storage of tenancy: tenants, their apps, settings, WeChat Pay configuration and the
//! platform's tenant-wide writes.

pub mod apps;
pub mod pay_config;
pub mod platform_admin;
pub mod settings;
pub mod tenants;
