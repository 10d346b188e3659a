//! The refresh-rotation fast path: on Postgres, spend a refresh token (keeping the new pair,
//! sealed, beside it for the lost-response grace), extend its session and store the successor
//! token in ONE statement (its own transaction), after one read of the token's session.
//!
//! The statement only acts when every condition of a successful rotation holds — token live
//! and unexpired, session live and inside its absolute end, tenant ACTIVE, subject ACTIVE
//! (staff also without a forced password change). Anything else (unknown token, reuse, a revoked or expired
//! session, a blocked user, a lost race) returns no row and changes nothing that matters, and
//! the caller takes the diagnosing path, which decides the error and handles reuse. SQLite
//! (one writer, no data-modifying CTEs) always takes that path.
//!
//! Concurrency is the same as the multi-statement path: the `spent` UPDATE re-checks
//! `spent_at IS NULL` after waiting on a concurrent spender's row lock (Postgres re-evaluates
//! the WHERE on the committed row), so of N concurrent presenters exactly one gets a row; the
//! session UPDATE re-checks `revoked_at IS NULL` the same way against a concurrent revocation.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Value};
use siyu_core::TenantId;

use crate::error::AppError;
use crate::repo::tokens::SubjectKind;
use crate::repo::{fetch_one, stored, stored_tenant, text, ts};

/// The session after a successful one-statement rotation.
#[derive(Debug, Clone)]
pub struct Rotated {
    /// Session id.
    pub session_id: String,
    /// Tenant.
    pub tenant_id: TenantId,
    /// Consumer or staff.
    pub principal_kind: SubjectKind,
    /// User or staff id.
    pub subject_id: String,
    /// Expiry of the new refresh token (capped at the session's absolute end).
    pub expires_at: DateTime<Utc>,
}

/// The row the rotating statement returns.
#[derive(Debug, FromQueryResult)]
struct RotatedRow {
    id: String,
    tenant_id: String,
    principal_kind: String,
    subject_id: String,
    expires_at: DateTime<Utc>,
}

impl TryFrom<RotatedRow> for Rotated {
    type Error = AppError;

    fn try_from(r: RotatedRow) -> Result<Self, AppError> {
        Ok(Self {
            principal_kind: stored("identity_sessions", &r.principal_kind)?,
            session_id: r.id,
            tenant_id: stored_tenant("identity_sessions", &r.tenant_id)?,
            subject_id: r.subject_id,
            expires_at: r.expires_at,
        })
    }
}

const ROTATE: &str = "\
WITH ok AS (
  SELECT t.token_hash, s.id AS session_id
  FROM identity_refresh_tokens t
  JOIN identity_sessions s ON s.id = t.session_id
  JOIN identity_tenants tn ON tn.id = s.tenant_id AND tn.status = 'ACTIVE'
  LEFT JOIN identity_users u
    ON s.principal_kind <> 'staff' AND u.id = s.subject_id AND u.tenant_id = s.tenant_id
  LEFT JOIN identity_staff st
    ON s.principal_kind = 'staff' AND st.id = s.subject_id AND st.tenant_id = s.tenant_id
  WHERE t.token_hash = $2 AND t.spent_at IS NULL AND t.expires_at > $1
    AND s.revoked_at IS NULL AND s.absolute_expires_at > $1
    AND (u.status = 'ACTIVE' OR (st.status = 'ACTIVE' AND NOT st.must_change_password))
), spent AS (
  UPDATE identity_refresh_tokens t SET spent_at = $1, successor_sealed = $5 FROM ok
  WHERE t.token_hash = ok.token_hash AND t.spent_at IS NULL
  RETURNING ok.session_id
), sess AS (
  UPDATE identity_sessions s
  SET last_refresh_at = $1, expires_at = LEAST($3, s.absolute_expires_at)
  FROM spent WHERE s.id = spent.session_id AND s.revoked_at IS NULL
  RETURNING s.id, s.tenant_id, s.principal_kind, s.subject_id, s.expires_at
), ins AS (
  INSERT INTO identity_refresh_tokens
    (token_hash, session_id, tenant_id, issued_at, expires_at, spent_at)
  SELECT $4, id, tenant_id, $1, expires_at, NULL FROM sess
)
SELECT id, tenant_id, principal_kind, subject_id, expires_at FROM sess";

/// Whether `conn` can take the fast path at all.
pub fn supported(conn: &impl ConnectionTrait) -> bool {
    conn.get_database_backend() == DbBackend::Postgres
}

/// The session a live, unspent refresh token belongs to, read before a rotation so that the
/// new pair can be signed and sealed into the rotating statement itself.
#[derive(Debug, Clone)]
pub struct Live {
    /// Session id.
    pub session_id: String,
    /// Tenant.
    pub tenant_id: TenantId,
    /// Consumer or staff.
    pub principal_kind: SubjectKind,
    /// User or staff id.
    pub subject_id: String,
    /// The session's hard end (caps the new refresh token's expiry).
    pub absolute_expires_at: DateTime<Utc>,
}

/// A row of [`LIVE`].
#[derive(Debug, FromQueryResult)]
struct LiveRow {
    id: String,
    tenant_id: String,
    principal_kind: String,
    subject_id: String,
    absolute_expires_at: DateTime<Utc>,
}

impl TryFrom<LiveRow> for Live {
    type Error = AppError;

    fn try_from(r: LiveRow) -> Result<Self, AppError> {
        Ok(Self {
            principal_kind: stored("identity_sessions", &r.principal_kind)?,
            session_id: r.id,
            tenant_id: stored_tenant("identity_sessions", &r.tenant_id)?,
            subject_id: r.subject_id,
            absolute_expires_at: r.absolute_expires_at,
        })
    }
}

const LIVE: &str = "\
SELECT s.id, s.tenant_id, s.principal_kind, s.subject_id, s.absolute_expires_at
FROM identity_refresh_tokens t JOIN identity_sessions s ON s.id = t.session_id
WHERE t.token_hash = $1 AND t.spent_at IS NULL AND s.revoked_at IS NULL";

/// The session of `hash` if the token is unspent and its session live (nothing else is
/// checked: the rotation re-checks everything).
#[tracing::instrument(skip_all)]
pub async fn live(conn: &impl ConnectionTrait, hash: &str) -> Result<Option<Live>, AppError> {
    fetch_one::<LiveRow>(conn, LIVE, vec![text(hash)])
        .await?
        .map(Live::try_from)
        .transpose()
}

/// Rotates `old_hash` → `new_hash` in one statement (Postgres only; see the module docs),
/// keeping nothing for the lost-response grace. `None`: nothing was rotated — diagnose on the
/// slow path.
pub async fn rotate(
    conn: &impl ConnectionTrait,
    old_hash: &str,
    new_hash: &str,
    now: DateTime<Utc>,
    refresh_expires_at: DateTime<Utc>,
) -> Result<Option<Rotated>, AppError> {
    rotate_keeping(conn, old_hash, new_hash, None, now, refresh_expires_at).await
}

/// [`rotate`], keeping `successor` (the new pair, sealed) beside the spent token in the same
/// statement, so that a retry of the spent token finds it as soon as the spend is visible.
#[tracing::instrument(skip_all)]
pub async fn rotate_keeping(
    conn: &impl ConnectionTrait,
    old_hash: &str,
    new_hash: &str,
    successor: Option<&[u8]>,
    now: DateTime<Utc>,
    refresh_expires_at: DateTime<Utc>,
) -> Result<Option<Rotated>, AppError> {
    fetch_one::<RotatedRow>(
        conn,
        ROTATE,
        vec![
            ts(now),
            text(old_hash),
            ts(refresh_expires_at),
            text(new_hash),
            Value::Bytes(successor.map(<[u8]>::to_vec)),
        ],
    )
    .await?
    .map(Rotated::try_from)
    .transpose()
}
