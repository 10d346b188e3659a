//! Who may do what: the proto comments' "Callers:" lines as functions.

use siyu_core::{Ctx, PrincipalKind};

use super::AppError;
use super::domain::Location;

/// HQ roles: everything in the tenant.
pub const ADMIN: &[&str] = &["tenant_admin", "hq_operator"];
/// Roles that move stock at a location they cover.
pub const STOCK_WRITE: &[&str] = &["tenant_admin", "hq_operator", "store_manager"];
/// Roles that read stock of a location they cover.
pub const STOCK_READ: &[&str] = &[
    "tenant_admin",
    "hq_operator",
    "store_manager",
    "auditor",
    "customer_service",
    "guide",
];

fn denied(e: siyu_auth::AuthError) -> AppError {
    AppError::PermissionDenied(e.to_string())
}

fn kind(ctx: &Ctx) -> PrincipalKind {
    ctx.principal.kind
}

/// Staff with one of `roles` on the location, or a partner with `scope` (when given).
pub fn on_location(
    ctx: &Ctx,
    roles: &[&str],
    scope: Option<&str>,
    location: &Location,
) -> Result<(), AppError> {
    match (kind(ctx), scope) {
        (PrincipalKind::Staff, _) => {
            siyu_auth::require_role_on(ctx, roles, &location.org_path).map_err(denied)
        }
        (PrincipalKind::Partner, Some(scope)) => {
            siyu_auth::require_scope(ctx, scope).map_err(denied)
        }
        _ => Err(AppError::PermissionDenied("caller kind not allowed".into())),
    }
}

/// Any staff of the tenant, a partner with `scope`, or a service.
pub fn reader(ctx: &Ctx, scope: &str) -> Result<(), AppError> {
    match kind(ctx) {
        PrincipalKind::Staff | PrincipalKind::Service => Ok(()),
        PrincipalKind::Partner => siyu_auth::require_scope(ctx, scope).map_err(denied),
        PrincipalKind::Consumer => Err(AppError::PermissionDenied(
            "consumers may not do this".into(),
        )),
    }
}

/// Only services (orders' saga, event handlers).
pub fn service(ctx: &Ctx) -> Result<(), AppError> {
    siyu_auth::require_kind(ctx, &[PrincipalKind::Service]).map_err(denied)
}

/// Anyone of the tenant (the tenant filter does the rest).
pub fn anyone(_ctx: &Ctx) -> Result<(), AppError> {
    Ok(())
}

/// Catalog administration: staff holding an HQ role (the catalog is tenant-wide, so a grant on
/// any unit counts), or a partner with `scope` when given.
pub fn catalog_admin(ctx: &Ctx, scope: Option<&str>) -> Result<(), AppError> {
    match (kind(ctx), scope) {
        (PrincipalKind::Staff, _) if ADMIN.iter().any(|r| ctx.principal.has_role(r)) => Ok(()),
        (PrincipalKind::Partner, Some(scope)) => {
            siyu_auth::require_scope(ctx, scope).map_err(denied)
        }
        _ => Err(AppError::PermissionDenied(
            "needs tenant_admin or hq_operator".into(),
        )),
    }
}

/// SyncStock: partners with inventory.write, or staff holding tenant_admin (a sync overwrites
/// counts tenant-wide, so no narrower role will do).
pub fn stock_sync(ctx: &Ctx) -> Result<(), AppError> {
    match kind(ctx) {
        PrincipalKind::Staff if ctx.principal.has_role("tenant_admin") => Ok(()),
        PrincipalKind::Partner => siyu_auth::require_scope(ctx, "inventory.write").map_err(denied),
        _ => Err(AppError::PermissionDenied(
            "needs partner inventory.write or tenant_admin".into(),
        )),
    }
}

/// Storefront readers: consumers (and the gateway's anonymous guests), staff, services, and
/// partners with catalog.read.
pub fn shopper(ctx: &Ctx) -> Result<(), AppError> {
    match kind(ctx) {
        PrincipalKind::Partner => siyu_auth::require_scope(ctx, "catalog.read").map_err(denied),
        PrincipalKind::Consumer | PrincipalKind::Staff | PrincipalKind::Service => Ok(()),
    }
}
