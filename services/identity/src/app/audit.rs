//! The hash-chained security audit log: the helpers other concepts append entries with, and the
//! reads and verification of a tenant's chain (AuditService).

pub mod append;
pub mod chain;
pub mod query;
