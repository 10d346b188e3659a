//! The org tree of a tenant (HQ, regions, stores): unit changes, reads scoped by the caller's
//! role grants, the store list, and a store manager's edits of their own store. A grant on a
//! unit covers its subtree (`OrgPath::covers` over the materialized paths); the functions here
//! say whether a caller acts on a unit with the called method's roles (every concept uses them).

pub mod own_store;
pub mod reads;
pub mod stores;
pub mod units;

use siyu_core::{Ctx, OrgPath, PrincipalKind};

use crate::app::role::STORE_MANAGER;
use crate::error::AppError;

/// True when `ctx` may act on the unit at `path` in the called method: staff holding one of
/// the method's roles (its `siyu.api.v1.access`, any role when it names none) on the unit or an
/// ancestor; the other kinds were admitted by kind or scope and pass.
pub fn may_act_on(ctx: &Ctx, path: &str) -> bool {
    ctx.principal.kind != PrincipalKind::Staff
        || OrgPath::parse(path).is_ok_and(|p| ctx.may_act_on(&p))
}

/// Requires [`may_act_on`] (PERMISSION_DENIED).
pub fn require_on(ctx: &Ctx, path: &str) -> Result<(), AppError> {
    if may_act_on(ctx, path) {
        Ok(())
    } else {
        Err(AppError::PermissionDenied)
    }
}

/// True when `ctx` is staff holding `role` on the unit at `path` or an ancestor. For rules
/// about one role (what a store manager may not do, who sees a phone), never for who may call
/// a method: that is the method's roles ([`may_act_on`]).
pub fn holds(ctx: &Ctx, role: &str, path: &str) -> bool {
    ctx.principal.kind == PrincipalKind::Staff
        && OrgPath::parse(path).is_ok_and(|p| ctx.principal.has_role_on(role, &p))
}

/// True when `ctx` is staff holding one of the method's roles other than `role` on the unit at
/// `path` or an ancestor: the callers a rule limiting `role` does not limit.
pub fn acts_on_beyond(ctx: &Ctx, role: &str, path: &str) -> bool {
    ctx.principal.kind == PrincipalKind::Staff
        && OrgPath::parse(path).is_ok_and(|p| {
            ctx.principal.grants.iter().any(|g| {
                g.role != role
                    && g.org.covers(&p)
                    && (ctx.admitted_roles.is_empty() || ctx.admitted_roles.contains(&g.role))
            })
        })
}

/// The store-manager rule of UpdateOrgUnit (org_service.proto): a store manager changes only
/// [`own_store::STORE_MANAGER_PATHS`] of the stores they manage, while the method's other
/// roles change every field of the units in their scope.
pub fn edits_every_field(ctx: &Ctx, path: &str) -> bool {
    acts_on_beyond(ctx, STORE_MANAGER, path)
}
