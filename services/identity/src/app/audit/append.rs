//! Appending to the audit log from the domain: entries are written in the caller's transaction
//! (`repo::audit::chain::append` serialises a tenant's appends on its chain head).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use siyu_core::TenantId;

use crate::app::Actor;
use crate::error::AppError;
use crate::repo::audit::AuditOutcome;
use crate::repo::audit::chain::{self as audit_repo, NewEntry};

/// Appends one SUCCESS entry (details must hold no secret).
pub(crate) async fn audit(
    txn: &impl sea_orm::ConnectionTrait,
    tenant: TenantId,
    kind: &'static str,
    actor: (&str, &str),
    target: (&str, &str),
    details: Vec<(&str, String)>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    audit_repo::append(
        txn,
        tenant,
        NewEntry {
            kind,
            outcome: AuditOutcome::Success,
            actor_kind: actor.0.to_owned(),
            actor_id: actor.1.to_owned(),
            target_kind: target.0.to_owned(),
            target_id: target.1.to_owned(),
            details: details
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        },
        now,
    )
    .await?;
    Ok(())
}

/// An audit entry of `actor` about user `id`.
pub(crate) fn entry(
    kind: &'static str,
    actor: &Actor,
    id: &str,
    details: BTreeMap<String, String>,
) -> NewEntry {
    NewEntry {
        kind,
        outcome: AuditOutcome::Success,
        actor_kind: actor.kind.clone(),
        actor_id: actor.id.clone(),
        target_kind: "user".into(),
        target_id: id.to_owned(),
        details,
    }
}
