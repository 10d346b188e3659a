//! Who may call a UserService RPC on which user (consumers, merges and privacy handlers all
//! resolve their target here), the staff roles they admit, and the reason staff give.

use siyu_core::PrincipalKind;

use crate::app::Actor;
use crate::error::AppError;
use crate::grpc::Caller;

/// Staff roles that read users (GetUser, LookupUsers).
pub(crate) const READ_ROLES: &[&str] = &[
    "customer_service",
    "tenant_admin",
    "hq_operator",
    "store_manager",
    "guide",
];

/// Staff roles that read identities and consents.
pub(crate) const SUPPORT_ROLES: &[&str] = &["customer_service", "tenant_admin", "auditor"];

/// Staff roles that block users and link or unlink identities.
pub(crate) const ADMIN_ROLES: &[&str] = &["customer_service", "tenant_admin"];

/// The user a call acts on, and how the caller sees it.
#[derive(Debug, Clone)]
pub struct Target {
    /// The user id.
    pub user_id: String,
    /// True when phones are masked for this caller (staff, partners).
    pub masked: bool,
    /// The actor for audit entries.
    pub actor: Actor,
}

/// Which callers an RPC admits besides the consumer themself.
#[derive(Debug, Clone, Copy, Default)]
pub struct Allowed {
    /// The consumer acting on themself.
    pub consumer: bool,
    /// Staff holding any of these roles (customer-service roles are tenant-wide, so a grant
    /// anywhere in the tenant counts).
    pub staff: &'static [&'static str],
    /// Partners holding this scope.
    pub partner_scope: Option<&'static str>,
    /// Services.
    pub service: bool,
}

/// Resolves `user_id` (empty = the calling consumer) for `caller` under `allowed`.
pub fn target(caller: &Caller, user_id: &str, allowed: Allowed) -> Result<Target, AppError> {
    if user_id.len() > 64 {
        return Err(AppError::invalid(
            "user_id",
            "must be at most 64 characters",
        ));
    }
    let p = &caller.ctx.principal;
    let actor = Actor {
        kind: caller.actor().0.to_owned(),
        id: p.subject.clone(),
    };
    let (ok, masked) = match p.kind {
        PrincipalKind::Consumer => {
            let own = user_id.is_empty() || user_id == p.subject;
            if allowed.consumer && own {
                return Ok(Target {
                    user_id: p.subject.clone(),
                    masked: false,
                    actor,
                });
            }
            if allowed.consumer {
                // Another user's id: a consumer learns nothing about whether it exists.
                return Err(AppError::NotFound("USER_NOT_FOUND"));
            }
            (false, false)
        }
        PrincipalKind::Staff => (allowed.staff.iter().any(|r| p.has_role(r)), true),
        PrincipalKind::Partner => (allowed.partner_scope.is_some_and(|s| p.has_scope(s)), true),
        PrincipalKind::Service => (allowed.service, false),
    };
    if !ok {
        return Err(AppError::PermissionDenied("PERMISSION_DENIED"));
    }
    if user_id.is_empty() {
        return Err(AppError::invalid("user_id", "is required"));
    }
    Ok(Target {
        user_id: user_id.to_owned(),
        masked,
        actor,
    })
}

/// A required free-text reason: trimmed, 1..200 characters.
pub(crate) fn reason(value: &str, required: bool) -> Result<String, AppError> {
    let value = value.trim();
    let n = value.chars().count();
    if (required && n == 0) || n > 200 {
        let what = if required {
            "is required, at most 200 characters"
        } else {
            "must be at most 200 characters"
        };
        return Err(AppError::invalid("reason", what));
    }
    Ok(value.to_owned())
}
