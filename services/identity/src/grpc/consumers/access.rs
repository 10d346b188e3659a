//! On which user a UserService call acts (consumers, merges and privacy handlers all resolve
//! their target here), and the reason staff give. Who may call which RPC is the contract's:
//! the access layer admitted the caller's kind, role and scope before the handler ran.

use siyu_core::PrincipalKind;

use crate::app::Actor;
use crate::error::AppError;
use crate::grpc::Caller;
use crate::grpc::ids::opt_id;

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

/// The caller as the actor of audit entries.
pub fn actor(caller: &Caller) -> Actor {
    Actor {
        kind: caller.actor().0.to_owned(),
        id: caller.ctx.principal.subject.clone(),
    }
}

/// Resolves `user_id` for `caller`. The "self" rule: a consumer acts on themself only
/// (`user_id` empty or their own); another user's id answers NOT_FOUND USER_NOT_FOUND, so a
/// consumer learns nothing about other ids. Staff, partners and services name the user.
pub fn target(caller: &Caller, user_id: &str) -> Result<Target, AppError> {
    let named = opt_id("user_id", user_id)?.map(|id| id.to_string());
    let p = &caller.ctx.principal;
    let actor = actor(caller);
    let masked = match p.kind {
        PrincipalKind::Consumer => {
            if named.as_ref().is_some_and(|id| *id != p.subject) {
                return Err(AppError::UserNotFound);
            }
            return Ok(Target {
                user_id: p.subject.clone(),
                masked: false,
                actor,
            });
        }
        PrincipalKind::Staff | PrincipalKind::Partner => true,
        PrincipalKind::Service => false,
    };
    let user_id = named.ok_or_else(|| AppError::invalid("user_id", "is required"))?;
    Ok(Target {
        user_id,
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
