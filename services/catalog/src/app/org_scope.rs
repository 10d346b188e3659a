//! Where in the org tree a staff member may act. The access layer has admitted the caller by
//! the RPC's contract (kind, a staff role anywhere in the tenant, a partner scope); what it
//! cannot know is the unit a call acts on. These checks ask it with the roles the same
//! contract names (`Ctx::admitted_roles`): staff pass when one of those roles is held on the
//! unit or above it; partners, services and consumers were admitted by kind or scope and pass.

use siyu_core::{Ctx, PrincipalKind};

use crate::AppError;
use crate::app::domain::Location;

/// Requires the caller to act within its grants on `location`.
pub fn require_on(ctx: &Ctx, location: &Location) -> Result<(), AppError> {
    siyu_auth::require_on(ctx, &location.org_path).map_err(|e| AppError::OutOfScope(e.to_string()))
}

/// Requires the caller to act within its grants on at least one of `locations` (a transfer's
/// source or destination).
pub fn require_on_any(ctx: &Ctx, locations: &[&Location]) -> Result<(), AppError> {
    if locations.iter().any(|l| ctx.may_act_on(&l.org_path)) {
        Ok(())
    } else {
        Err(AppError::OutOfScope(
            "none of the method's roles on either location".into(),
        ))
    }
}

/// Requires the caller to act on the whole tenant (every location at once): staff need one of
/// the method's roles on the HQ root, the one unit that covers every other.
pub fn require_tenant_wide(ctx: &Ctx) -> Result<(), AppError> {
    let on_root = ctx
        .principal
        .grants
        .iter()
        .any(|g| g.org.0.len() == 1 && ctx.may_act_on(&g.org));
    if ctx.principal.kind != PrincipalKind::Staff || on_root {
        Ok(())
    } else {
        Err(AppError::OutOfScope(
            "acting on every location needs one of the method's roles on the HQ root".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use siyu_core::{OrgPath, Principal, RoleGrant, TenantId};
    use uuid::Uuid;

    use super::*;

    fn staff(grants: &[(&str, &[Uuid])], admitted: &[&str]) -> Ctx {
        let principal = Principal {
            subject: "staff-1".into(),
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
        let roles: Vec<String> = admitted.iter().map(|r| (*r).to_owned()).collect();
        Ctx::new(TenantId(Uuid::nil()), principal).with_admitted_roles(Arc::from(roles))
    }

    #[test]
    fn tenant_wide_needs_an_admitted_role_on_the_root() {
        let (root, store) = (siyu_core::id::new(), siyu_core::id::new());
        let admitted = ["tenant_admin", "store_manager"];
        assert!(require_tenant_wide(&staff(&[("tenant_admin", &[root])], &admitted)).is_ok());
        assert!(
            require_tenant_wide(&staff(&[("store_manager", &[root, store])], &admitted)).is_err()
        );
        // A role the method does not admit does not count, even on the root.
        assert!(require_tenant_wide(&staff(&[("guide", &[root])], &admitted)).is_err());
    }
}
