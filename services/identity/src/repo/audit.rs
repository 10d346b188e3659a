//! Storage of the hash-chained audit log: appends under the tenant's chain head, and the
//! filtered, keyset-paged reads of AuditService.

pub mod chain;
pub mod query;

crate::repo::text_enum! {
    /// How the act an audit entry records ended.
    pub enum AuditOutcome {
        /// It happened.
        Success = "SUCCESS",
        /// It was refused or failed (a failed login, a reused refresh token).
        Failure = "FAILURE",
    }
}
