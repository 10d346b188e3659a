//! Permission checks handlers call after the layer has established the [`Ctx`].

use siyu_core::{Ctx, OrgPath, PrincipalKind, TenantId};

use crate::error::AuthError;

/// Requires a staff principal holding one of `roles` on `target` or on an ancestor of it.
pub fn require_role_on(ctx: &Ctx, roles: &[&str], target: &OrgPath) -> Result<(), AuthError> {
    // Grants only come from staff tokens (see `Claims::to_ctx`); checking the kind too keeps
    // that true even for a `Ctx` built by hand elsewhere.
    if ctx.principal.kind == PrincipalKind::Staff && ctx.principal.has_any_role_on(roles, target) {
        Ok(())
    } else {
        Err(AuthError::PermissionDenied(format!(
            "needs one of {roles:?} on {}",
            target.to_path_string()
        )))
    }
}

/// Requires the caller to act within its grants on `target`: staff holding one of the called
/// method's admitted roles (any role when it names none) on `target` or an ancestor; other
/// kinds were admitted by the access layer and pass.
pub fn require_on(ctx: &Ctx, target: &OrgPath) -> Result<(), AuthError> {
    if ctx.may_act_on(target) {
        Ok(())
    } else {
        Err(AuthError::PermissionDenied(format!(
            "needs one of {:?} on {}",
            ctx.admitted_roles,
            target.to_path_string()
        )))
    }
}

/// Requires the principal to have been granted `scope`.
pub fn require_scope(ctx: &Ctx, scope: &str) -> Result<(), AuthError> {
    if ctx.principal.has_scope(scope) {
        Ok(())
    } else {
        Err(AuthError::PermissionDenied(format!("needs scope {scope}")))
    }
}

/// Requires the principal to be one of `kinds`.
pub fn require_kind(ctx: &Ctx, kinds: &[PrincipalKind]) -> Result<(), AuthError> {
    if kinds.contains(&ctx.principal.kind) {
        Ok(())
    } else {
        Err(AuthError::PermissionDenied(format!(
            "{:?} callers may not do this",
            ctx.principal.kind
        )))
    }
}

/// Requires the resource's tenant to be the caller's; a mismatch reads as "not found".
pub fn require_tenant(ctx: &Ctx, resource_tenant: TenantId) -> Result<(), AuthError> {
    if ctx.tenant == resource_tenant {
        Ok(())
    } else {
        Err(AuthError::TenantMismatch)
    }
}
