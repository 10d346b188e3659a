//! Reads that gather what identity holds about one user, for the data export.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};
use siyu_core::TenantId;

use crate::error::AppError;
use crate::repo::audit::AuditOutcome;
use crate::repo::{fetch_all, stored, tenant_text, text};

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

/// A session row of [`sessions_of`].
#[derive(Debug, FromQueryResult)]
struct SessionFactRow {
    id: String,
    login_method: String,
    app_id: String,
    user_agent: String,
    ip_masked: String,
    created_at: DateTime<Utc>,
    last_refresh_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<SessionFactRow> for SessionFact {
    fn from(r: SessionFactRow) -> Self {
        Self {
            id: r.id,
            login_method: r.login_method,
            app_id: r.app_id,
            user_agent: r.user_agent,
            ip_masked: r.ip_masked,
            created_at: r.created_at,
            last_refresh_at: r.last_refresh_at,
            revoked_at: r.revoked_at,
        }
    }
}

/// Every session of a consumer (live or not), newest first.
pub async fn sessions_of(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user_id: &str,
) -> Result<Vec<SessionFact>, AppError> {
    Ok(fetch_all::<SessionFactRow>(
        conn,
        "SELECT id, login_method, app_id, user_agent, ip_masked, created_at, last_refresh_at, \
         revoked_at FROM identity_sessions WHERE tenant_id = $1 AND subject_id = $2 \
         AND principal_kind = 'consumer' ORDER BY created_at DESC, id DESC",
        vec![tenant_text(tenant), text(user_id)],
    )
    .await?
    .into_iter()
    .map(SessionFact::from)
    .collect())
}

/// An audit entry about the user, without the actor's identity or details.
#[derive(Debug, Clone)]
pub struct AuditFact {
    /// Sequence in the tenant's chain.
    pub seq: i64,
    /// Kind.
    pub kind: String,
    /// Outcome.
    pub outcome: AuditOutcome,
    /// Who acted (kind only: staff ids are other people's data).
    pub actor_kind: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// An audit row of [`audit_about`].
#[derive(Debug, FromQueryResult)]
struct AuditFactRow {
    seq: i64,
    kind: String,
    outcome: String,
    actor_kind: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<AuditFactRow> for AuditFact {
    type Error = AppError;

    fn try_from(r: AuditFactRow) -> Result<Self, AppError> {
        Ok(Self {
            outcome: stored("identity_audit_log", &r.outcome)?,
            seq: r.seq,
            kind: r.kind,
            actor_kind: r.actor_kind,
            created_at: r.created_at,
        })
    }
}

/// Audit entries whose target is the user, or whose actor is the user as a consumer, newest
/// first, at most `limit`.
pub async fn audit_about(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user_id: &str,
    limit: i64,
) -> Result<Vec<AuditFact>, AppError> {
    fetch_all::<AuditFactRow>(
        conn,
        "SELECT seq, kind, outcome, actor_kind, created_at FROM identity_audit_log \
         WHERE tenant_id = $1 AND (target_id = $2 OR (actor_kind = 'consumer' AND actor_id = $2)) \
         ORDER BY seq DESC LIMIT $3",
        vec![
            tenant_text(tenant),
            text(user_id),
            sea_orm::Value::BigInt(Some(limit)),
        ],
    )
    .await?
    .into_iter()
    .map(AuditFact::try_from)
    .collect()
}
