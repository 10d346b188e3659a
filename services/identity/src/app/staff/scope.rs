//! Who administers which staff account (staff_service.proto's scope rule): the caller holds one
//! of the called method's roles on a unit whose subtree contains the account's primary org unit
//! (and, for grants, the grant's unit); a store manager administers guides only — accounts whose
//! every grant is `guide` — grants only `guide` and never removes a second factor. Nobody
//! changes their own status, roles or password through these. Also who sees a staff phone.

use siyu_core::Ctx;

use crate::app::org::{acts_on_beyond, holds, may_act_on};
use crate::app::role::{GUIDE, STORE_MANAGER, TENANT_ADMIN};
use crate::repo::staff::roles::RoleGrant;

/// The store-manager rule: true when `ctx` acts on the unit at `path` with one of the method's
/// roles other than store_manager — a caller the rule does not limit.
pub fn acts_beyond_store_manager(ctx: &Ctx, path: &str) -> bool {
    acts_on_beyond(ctx, STORE_MANAGER, path)
}

/// Whether every grant of an account is `guide` (what a store manager may administer).
pub(super) fn guide_only(grants: &[RoleGrant]) -> bool {
    grants.iter().all(|g| g.role == GUIDE)
}

/// Whether `ctx` administers the account whose primary unit is at `path` and whose grants are
/// `grants`, in the called method: one of the method's roles on that unit, where a store
/// manager administers guides only.
pub fn administers(ctx: &Ctx, path: &str, grants: &[RoleGrant]) -> bool {
    acts_beyond_store_manager(ctx, path) || (may_act_on(ctx, path) && guide_only(grants))
}

/// Whether `ctx` may grant `role` on a unit at `path` in the called method: one of the method's
/// roles on the unit, where a store manager grants `guide` only.
pub fn grantable(ctx: &Ctx, role: &str, path: &str) -> bool {
    acts_beyond_store_manager(ctx, path) || (role == GUIDE && may_act_on(ctx, path))
}

/// The phone rule (staff_service.proto): the phone of staff `id` (primary unit at `path`) is
/// shown in clear to that staff member and to a tenant admin whose scope covers the account,
/// masked to everyone else.
pub fn sees_phone(ctx: &Ctx, id: &str, path: &str) -> bool {
    ctx.principal.subject == id || holds(ctx, TENANT_ADMIN, path)
}

/// True when `ctx` names staff `id` itself (nobody changes their own status or password here).
pub(super) fn is_self(ctx: &Ctx, id: &str) -> bool {
    ctx.principal.subject == id
}
