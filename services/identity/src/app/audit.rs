//! The hash-chained security audit log: the helpers other concepts append entries with, and the
//! reads and verification of a tenant's chain (AuditService).

pub mod append;
pub mod chain;
pub mod query;

crate::app::text_enum! {
    /// How the act an audit entry records ended.
    pub enum AuditOutcome {
        /// It happened.
        Success = "SUCCESS",
        /// It was refused or failed (a failed login, a reused refresh token).
        Failure = "FAILURE",
    }
}
