//! The org tree of a tenant (HQ, regions, stores): unit changes, reads scoped by the caller's
//! role grants, the store list, and a store manager's edits of their own store. A grant on a
//! unit covers its subtree (`OrgPath::covers` over the materialized paths).

pub mod own_store;
pub mod reads;
pub mod stores;
pub mod units;

use siyu_core::{Ctx, OrgPath, PrincipalKind};

use crate::error::AppError;

/// Roles that administer the tree.
pub const ADMIN: &[&str] = &["tenant_admin"];
/// Roles that may edit unit details.
pub const EDITORS: &[&str] = &["tenant_admin", "hq_operator"];
/// Any staff role.
pub const ANY_STAFF: &[&str] = &[
    "tenant_admin",
    "hq_operator",
    "store_manager",
    "guide",
    "auditor",
    "customer_service",
];

/// True when `ctx` is staff holding one of `roles` on (an ancestor of) `path`.
pub fn covers(ctx: &Ctx, roles: &[&str], path: &str) -> bool {
    ctx.principal.kind == PrincipalKind::Staff
        && OrgPath::parse(path).is_ok_and(|p| ctx.principal.has_any_role_on(roles, &p))
}

/// Requires [`covers`].
pub fn require(ctx: &Ctx, roles: &[&str], path: &str) -> Result<(), AppError> {
    if covers(ctx, roles, path) {
        Ok(())
    } else {
        Err(AppError::PermissionDenied("PERMISSION_DENIED"))
    }
}
