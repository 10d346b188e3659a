//! Storage of the hash-chained audit log: appends under the tenant's chain head, and the
//! filtered, keyset-paged reads of AuditService.

pub mod chain;
pub mod query;
