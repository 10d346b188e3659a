//! Orders: the model ([`model`]), the state machine ([`status`]), order numbers ([`number`]),
//! payment ([`paid`]), top-ups and paid plans applied ([`purchase`]) and who may see an order
//! ([`may_see`]).

use siyu_core::{Ctx, PrincipalKind};
use uuid::Uuid;

pub mod cancel;
pub mod cancel_paid;
pub mod fulfilment;
pub mod model;
pub mod number;
pub mod paid;
pub mod purchase;
pub mod status;

/// Whether `ctx` may see an order of `user_id` fulfilled by `store_id`: a consumer their own;
/// staff with an admitted role on the tenant's root (every store) or on the store itself;
/// partners and services of the tenant (the access layer checked their scope).
pub fn may_see(ctx: &Ctx, user_id: Uuid, store_id: Option<Uuid>) -> bool {
    match ctx.principal.kind {
        PrincipalKind::Consumer => ctx.principal.subject == user_id.to_string(),
        PrincipalKind::Staff => staff_sees(ctx, store_id),
        PrincipalKind::Partner | PrincipalKind::Service => true,
    }
}

/// Whether staff `ctx` may see the orders of `store_id` (`None`: of every store): an admitted
/// role on the tenant's root, or on the store itself. Orders does not keep the stores' org
/// paths, so a role on a region between the two does not count yet.
pub fn staff_sees(ctx: &Ctx, store_id: Option<Uuid>) -> bool {
    ctx.principal.grants.iter().any(|g| {
        let admitted = ctx.admitted_roles.is_empty() || ctx.admitted_roles.contains(&g.role);
        admitted && (g.org.0.len() == 1 || store_id.is_some_and(|s| g.org.unit() == Some(s)))
    })
}
