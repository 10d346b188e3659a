//! Reads that gather what identity holds about one user, for the data export.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};

use crate::repo::{all, text};

/// A session as the export shows it.
#[derive(Debug, Clone)]
pub struct SessionFact {
    /// Session id.
    pub id: String,
    /// How it started.
    pub login_method: String,
    /// App of the login.
    pub app_id: String,
    /// User agent at login.
    pub user_agent: String,
    /// Masked client IP.
    pub ip_masked: String,
    /// Started.
    pub created_at: DateTime<Utc>,
    /// Last refresh.
    pub last_refresh_at: DateTime<Utc>,
    /// When revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Every session of a consumer (live or not), newest first.
pub async fn sessions_of(
    conn: &impl ConnectionTrait,
    tenant: &str,
    user_id: &str,
) -> Result<Vec<SessionFact>, DbErr> {
    all(
        conn,
        "SELECT id, login_method, app_id, user_agent, ip_masked, created_at, last_refresh_at, \
         revoked_at FROM identity_sessions WHERE tenant_id = $1 AND subject_id = $2 \
         AND principal_kind = 'consumer' ORDER BY created_at DESC, id DESC",
        vec![text(tenant), text(user_id)],
    )
    .await?
    .iter()
    .map(|row| {
        Ok(SessionFact {
            id: row.try_get("", "id")?,
            login_method: row.try_get("", "login_method")?,
            app_id: row.try_get("", "app_id")?,
            user_agent: row.try_get("", "user_agent")?,
            ip_masked: row.try_get("", "ip_masked")?,
            created_at: row.try_get("", "created_at")?,
            last_refresh_at: row.try_get("", "last_refresh_at")?,
            revoked_at: row.try_get("", "revoked_at")?,
        })
    })
    .collect()
}

/// An audit entry about the user, without the actor's identity or details.
#[derive(Debug, Clone)]
pub struct AuditFact {
    /// Sequence in the tenant's chain.
    pub seq: i64,
    /// Kind.
    pub kind: String,
    /// Outcome.
    pub outcome: String,
    /// Who acted (kind only: staff ids are other people's data).
    pub actor_kind: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Audit entries whose target is the user, or whose actor is the user as a consumer, newest
/// first, at most `limit`.
pub async fn audit_about(
    conn: &impl ConnectionTrait,
    tenant: &str,
    user_id: &str,
    limit: i64,
) -> Result<Vec<AuditFact>, DbErr> {
    all(
        conn,
        "SELECT seq, kind, outcome, actor_kind, created_at FROM identity_audit_log \
         WHERE tenant_id = $1 AND (target_id = $2 OR (actor_kind = 'consumer' AND actor_id = $2)) \
         ORDER BY seq DESC LIMIT $3",
        vec![
            text(tenant),
            text(user_id),
            sea_orm::Value::BigInt(Some(limit)),
        ],
    )
    .await?
    .iter()
    .map(|row| {
        Ok(AuditFact {
            seq: row.try_get("", "seq")?,
            kind: row.try_get("", "kind")?,
            outcome: row.try_get("", "outcome")?,
            actor_kind: row.try_get("", "actor_kind")?,
            created_at: row.try_get("", "created_at")?,
        })
    })
    .collect()
}
