//! Sessions (refresh-token families), hashed refresh tokens and the revocation-feed rows their
//! revocation writes.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;

use crate::error::AppError;
use crate::repo::tokens::SubjectKind;
use crate::repo::{
    execute, fetch_all, fetch_one, ids, stored, stored_tenant, tenant_text, text, ts, ts_opt,
};

/// A session (a refresh-token family).
#[derive(Debug, Clone)]
pub struct Session {
    /// Session id (the `sid`).
    pub id: String,
    /// Tenant.
    pub tenant_id: TenantId,
    /// Consumer or staff.
    pub principal_kind: SubjectKind,
    /// User or staff id.
    pub subject_id: String,
    /// How it started.
    pub login_method: String,
    /// App id of a consumer login.
    pub app_id: String,
    /// User agent at login.
    pub user_agent: String,
    /// Masked client IP.
    pub ip_masked: String,
    /// Started.
    pub created_at: DateTime<Utc>,
    /// Last refresh.
    pub last_refresh_at: DateTime<Utc>,
    /// Current refresh token expiry.
    pub expires_at: DateTime<Utc>,
    /// Hard end.
    pub absolute_expires_at: DateTime<Utc>,
    /// When revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A refresh token (its hash is the key).
#[derive(Debug, Clone)]
pub struct RefreshToken {
    /// Its session.
    pub session_id: String,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
    /// When it was used (spent).
    pub spent_at: Option<DateTime<Utc>>,
    /// The pair it was exchanged for, sealed, during the lost-response grace.
    pub successor_sealed: Option<Vec<u8>>,
}

/// A row of [`SESSION_COLUMNS`].
#[derive(Debug, FromQueryResult)]
struct SessionRow {
    id: String,
    tenant_id: String,
    principal_kind: String,
    subject_id: String,
    login_method: String,
    app_id: String,
    user_agent: String,
    ip_masked: String,
    created_at: DateTime<Utc>,
    last_refresh_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    absolute_expires_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
}

impl TryFrom<SessionRow> for Session {
    type Error = AppError;

    fn try_from(r: SessionRow) -> Result<Self, AppError> {
        Ok(Self {
            principal_kind: stored("identity_sessions", &r.principal_kind)?,
            id: r.id,
            tenant_id: stored_tenant("identity_sessions", &r.tenant_id)?,
            subject_id: r.subject_id,
            login_method: r.login_method,
            app_id: r.app_id,
            user_agent: r.user_agent,
            ip_masked: r.ip_masked,
            created_at: r.created_at,
            last_refresh_at: r.last_refresh_at,
            expires_at: r.expires_at,
            absolute_expires_at: r.absolute_expires_at,
            revoked_at: r.revoked_at,
        })
    }
}

/// A refresh token row.
#[derive(Debug, FromQueryResult)]
struct RefreshRow {
    session_id: String,
    expires_at: DateTime<Utc>,
    spent_at: Option<DateTime<Utc>>,
    successor_sealed: Option<Vec<u8>>,
}

const SESSION_COLUMNS: &str = "id, tenant_id, principal_kind, subject_id, login_method, app_id, \
     user_agent, ip_masked, created_at, last_refresh_at, expires_at, absolute_expires_at, revoked_at";

/// Inserts a session.
#[tracing::instrument(skip_all, fields(session = %s.id))]
pub async fn insert_session(conn: &impl ConnectionTrait, s: &Session) -> Result<(), AppError> {
    execute(
        conn,
        &format!(
            "INSERT INTO identity_sessions ({SESSION_COLUMNS}) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)"
        ),
        vec![
            text(&s.id),
            tenant_text(s.tenant_id),
            text(s.principal_kind.as_str()),
            text(&s.subject_id),
            text(&s.login_method),
            text(&s.app_id),
            text(&s.user_agent),
            text(&s.ip_masked),
            ts(s.created_at),
            ts(s.last_refresh_at),
            ts(s.expires_at),
            ts(s.absolute_expires_at),
            ts_opt(s.revoked_at),
        ],
    )
    .await?;
    Ok(())
}

/// A session by id (any tenant: the caller checks).
#[tracing::instrument(skip_all, fields(session = id))]
pub async fn get_session(
    conn: &impl ConnectionTrait,
    id: &str,
) -> Result<Option<Session>, AppError> {
    fetch_one::<SessionRow>(
        conn,
        &format!("SELECT {SESSION_COLUMNS} FROM identity_sessions WHERE id = $1"),
        vec![text(id)],
    )
    .await?
    .map(Session::try_from)
    .transpose()
}

/// Live sessions of a subject in a tenant, most recently used first.
#[tracing::instrument(skip_all, fields(tenant, subject))]
pub async fn live_sessions(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    subject: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Session>, AppError> {
    fetch_all::<SessionRow>(
        conn,
        &format!(
            "SELECT {SESSION_COLUMNS} FROM identity_sessions WHERE tenant_id = $1 AND \
             subject_id = $2 AND revoked_at IS NULL AND expires_at > $3 \
             ORDER BY last_refresh_at DESC"
        ),
        vec![tenant_text(tenant), text(subject), ts(now)],
    )
    .await?
    .into_iter()
    .map(Session::try_from)
    .collect()
}

/// Inserts a refresh token hash.
pub async fn insert_refresh(
    conn: &impl ConnectionTrait,
    hash: &str,
    session_id: &str,
    tenant: TenantId,
    issued_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO identity_refresh_tokens (token_hash, session_id, tenant_id, issued_at, \
         expires_at, spent_at) VALUES ($1,$2,$3,$4,$5,NULL)",
        vec![
            text(hash),
            text(session_id),
            tenant_text(tenant),
            ts(issued_at),
            ts(expires_at),
        ],
    )
    .await?;
    Ok(())
}

/// A refresh token by hash.
pub async fn get_refresh(
    conn: &impl ConnectionTrait,
    hash: &str,
) -> Result<Option<RefreshToken>, AppError> {
    Ok(fetch_one::<RefreshRow>(
        conn,
        "SELECT session_id, expires_at, spent_at, successor_sealed FROM identity_refresh_tokens \
         WHERE token_hash = $1",
        vec![text(hash)],
    )
    .await?
    .map(|r| RefreshToken {
        session_id: r.session_id,
        expires_at: r.expires_at,
        spent_at: r.spent_at,
        successor_sealed: r.successor_sealed,
    }))
}

/// Keeps `sealed` (the pair a spent token was exchanged for) beside the spent token, in the
/// transaction that spent it.
pub async fn keep_successor(
    conn: &impl ConnectionTrait,
    hash: &str,
    sealed: &[u8],
) -> Result<u64, AppError> {
    execute(
        conn,
        "UPDATE identity_refresh_tokens SET successor_sealed = $1 WHERE token_hash = $2",
        vec![Value::Bytes(Some(sealed.to_vec())), text(hash)],
    )
    .await
}

/// Forgets the successors of tokens spent before `spent_before` (their grace is over).
pub async fn forget_successors(
    conn: &impl ConnectionTrait,
    spent_before: DateTime<Utc>,
) -> Result<u64, AppError> {
    execute(
        conn,
        "UPDATE identity_refresh_tokens SET successor_sealed = NULL \
         WHERE successor_sealed IS NOT NULL AND spent_at < $1",
        vec![ts(spent_before)],
    )
    .await
}

/// Spends a refresh token; 1 when this call spent it, 0 when it was already spent. On Postgres
/// the UPDATE waits for a concurrent spender's commit and then sees its `spent_at`: exactly one
/// caller wins.
pub async fn spend_refresh(
    conn: &impl ConnectionTrait,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    execute(
        conn,
        "UPDATE identity_refresh_tokens SET spent_at = $1 WHERE token_hash = $2 AND spent_at IS NULL",
        vec![ts(now), text(hash)],
    )
    .await
}

/// Extends a session after a refresh.
pub async fn touch_session(
    conn: &impl ConnectionTrait,
    id: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<u64, AppError> {
    execute(
        conn,
        "UPDATE identity_sessions SET last_refresh_at = $1, expires_at = $2 \
         WHERE id = $3 AND revoked_at IS NULL",
        vec![ts(now), ts(expires_at), text(id)],
    )
    .await
}

/// Revokes sessions (every one of `ids` still live) and spends all their refresh tokens;
/// returns how many sessions were live. Also records them in the revocation feed.
pub async fn revoke_sessions(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    ids: &[String],
    reason: &str,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    let mut revoked = 0;
    for id in ids {
        // Tokens before the session: a refresh locks its token and then the session, so
        // taking them in the same order means the two wait for each other, never deadlock.
        execute(
            conn,
            "UPDATE identity_refresh_tokens SET spent_at = $1 WHERE session_id = $2 AND spent_at IS NULL",
            vec![ts(now), text(id)],
        )
        .await?;
        let n = execute(
            conn,
            "UPDATE identity_sessions SET revoked_at = $1, revoke_reason = $2 \
             WHERE id = $3 AND tenant_id = $4 AND revoked_at IS NULL",
            vec![ts(now), text(reason), text(id), tenant_text(tenant)],
        )
        .await?;
        if n > 0 {
            revoked += n;
            execute(
                conn,
                "INSERT INTO identity_token_revocations (id, kind, tenant_id, value, revoked_at) \
                 VALUES ($1, 'SESSION', $2, $3, $4)",
                vec![
                    text(siyu_core::id::new_string()),
                    tenant_text(tenant),
                    text(id),
                    ts(now),
                ],
            )
            .await?;
        }
    }
    Ok(revoked)
}

/// Ids of every live session of a subject.
pub async fn live_session_ids(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    subject: &str,
) -> Result<Vec<String>, AppError> {
    ids(
        conn,
        "SELECT id FROM identity_sessions WHERE tenant_id = $1 AND subject_id = $2 AND revoked_at IS NULL",
        vec![tenant_text(tenant), text(subject)],
    )
    .await
}
