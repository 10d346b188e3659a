//! Where in the org tree a staff member may act on content. The access layer admitted the
//! caller by the RPC's contract; with `org_scoped` the RPC also limits staff to items owned by
//! a unit of one of the method's roles (`Ctx::admitted_roles`).
//!
//! Content knows an item's owning unit id, not the unit's place in identity's org tree. A grant
//! on the HQ root (a path of one unit) covers every item; a grant on a store covers the items
//! that store owns. A grant on a region covers only items owned by the region itself until the
//! units' org paths are resolved from identity (this errs on refusing).

use siyu_core::{Ctx, PrincipalKind};
use uuid::Uuid;

use crate::AppError;

/// The items a caller may act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every item of the tenant.
    All,
    /// Items owned by these units.
    Units(Vec<Uuid>),
}

/// The scope of `ctx` (non-staff callers see the tenant; their access is the contract's).
pub fn scope(ctx: &Ctx) -> Scope {
    if ctx.principal.kind != PrincipalKind::Staff {
        return Scope::All;
    }
    let grants: Vec<_> = ctx
        .principal
        .grants
        .iter()
        .filter(|g| ctx.admitted_roles.is_empty() || ctx.admitted_roles.contains(&g.role))
        .collect();
    if grants.iter().any(|g| g.org.0.len() == 1) {
        return Scope::All;
    }
    Scope::Units(grants.iter().filter_map(|g| g.org.unit()).collect())
}

/// Requires `ctx` to act on an item owned by `owner` (None: HQ). Outside the caller's subtree
/// an item is reported as not found, like another tenant's.
pub fn require_on(ctx: &Ctx, owner: Option<Uuid>) -> Result<(), AppError> {
    match scope(ctx) {
        Scope::All => Ok(()),
        Scope::Units(units) if owner.is_some_and(|o| units.contains(&o)) => Ok(()),
        Scope::Units(_) => Err(AppError::content_not_found()),
    }
}

/// Requires `ctx` to be able to own items at `owner` (creating or moving an item there). A
/// scoped caller must name one of their units.
pub fn require_owner(ctx: &Ctx, owner: Option<Uuid>) -> Result<(), AppError> {
    match scope(ctx) {
        Scope::All => Ok(()),
        Scope::Units(units) if owner.is_some_and(|o| units.contains(&o)) => Ok(()),
        Scope::Units(_) => Err(AppError::invalid(
            "content.owner_org_unit_id",
            "must be a unit within the caller's scope",
        )),
    }
}
