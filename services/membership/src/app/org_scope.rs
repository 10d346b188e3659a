//! Where in the org tree a staff member may see members. The access layer admitted the caller
//! by the RPC's contract; with `org_scoped` the RPC also limits staff to members whose home
//! store lies in the subtree of one of the method's roles (`Ctx::admitted_roles`), and a caller
//! who is only a guide to their own members.
//!
//! Membership knows a member's home store id, not the store's place in identity's org tree.
//! A grant on the HQ root (a path of one unit) covers every store; a grant on a store covers
//! that store. A grant on a region therefore covers none of its stores yet: seeing them needs
//! the stores' org paths from identity, which a later slice resolves (this errs on refusing).

use siyu_core::{Ctx, PrincipalKind, RoleGrant};
use uuid::Uuid;

use crate::AppError;
use crate::app::domain::Member;
use crate::repo::members::Scope;

fn admitted<'a>(ctx: &'a Ctx) -> impl Iterator<Item = &'a RoleGrant> + 'a {
    ctx.principal
        .grants
        .iter()
        .filter(|g| ctx.admitted_roles.is_empty() || ctx.admitted_roles.contains(&g.role))
}

/// The members a caller may see in an org-scoped list.
pub fn scope(ctx: &Ctx) -> Result<Scope, AppError> {
    if ctx.principal.kind != PrincipalKind::Staff {
        return Ok(Scope::All);
    }
    let grants: Vec<&RoleGrant> = admitted(ctx).collect();
    // A guide serves their own members, wherever the guide role was granted.
    if !grants.is_empty() && grants.iter().all(|g| g.role == "guide") {
        let me = Uuid::parse_str(&ctx.principal.subject)
            .map_err(|_| AppError::OutOfScope("a guide's token names no staff id".into()))?;
        return Ok(Scope::Guide(me));
    }
    if grants.iter().any(|g| g.org.0.len() == 1) {
        return Ok(Scope::All);
    }
    Ok(Scope::Stores(
        grants.iter().filter_map(|g| g.org.unit()).collect(),
    ))
}

/// Requires an org-scoped caller to see `member`.
pub fn require_on(ctx: &Ctx, member: &Member) -> Result<(), AppError> {
    let visible = match scope(ctx)? {
        Scope::All => true,
        Scope::Stores(stores) => member.home_store_id.is_some_and(|s| stores.contains(&s)),
        Scope::Guide(me) => member.guide.as_ref().is_some_and(|g| g.guide_id == me),
    };
    if visible {
        Ok(())
    } else {
        // Outside the caller's subtree a member is reported as not found, like another
        // tenant's: a store manager learns nothing about other stores' members.
        Err(AppError::MemberNotFound)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use siyu_core::{OrgPath, Principal, TenantId};

    use super::*;

    fn staff(grants: &[(&str, &[Uuid])]) -> Ctx {
        let principal = Principal {
            subject: siyu_core::id::new_string(),
            kind: PrincipalKind::Staff,
            grants: grants
                .iter()
                .map(|(role, path)| RoleGrant {
                    role: (*role).into(),
                    org: OrgPath(path.to_vec()),
                })
                .collect(),
            scopes: vec![],
            token_id: None,
        };
        Ctx::new(TenantId(Uuid::nil()), principal).with_admitted_roles(Arc::from(Vec::new()))
    }

    #[test]
    fn a_root_grant_sees_everyone_a_store_grant_its_store() {
        let (root, store) = (siyu_core::id::new(), siyu_core::id::new());
        assert_eq!(
            scope(&staff(&[("hq_operator", &[root])])).unwrap(),
            Scope::All
        );
        assert_eq!(
            scope(&staff(&[("store_manager", &[root, store])])).unwrap(),
            Scope::Stores(vec![store])
        );
        assert!(matches!(
            scope(&staff(&[("guide", &[root])])).unwrap(),
            Scope::Guide(_)
        ));
    }
}
