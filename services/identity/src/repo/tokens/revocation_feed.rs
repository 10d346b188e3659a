//! The revocation feed's read side. Writers (logout, disable, partner revoke) insert rows
//! without a sequence; [`stamp`] numbers committed rows in one serial step under the head row
//! lock, so a sequence is only ever handed out above every sequence a reader has already seen:
//! a cursor never skips a row that commits late.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;

use crate::error::AppError;
use crate::repo::tokens::RevocationKind;
use crate::repo::{execute, exists, fetch_all, fetch_one, ids, stored, stored_tenant, text, ts};

/// One feed entry.
#[derive(Debug, Clone)]
pub struct Revocation {
    /// Position in the feed.
    pub seq: i64,
    /// What it revokes.
    pub kind: RevocationKind,
    /// Tenant of the revoked tokens.
    pub tenant_id: TenantId,
    /// The sid, sub or jti.
    pub value: String,
    /// When revoked.
    pub revoked_at: DateTime<Utc>,
}

/// A feed row.
#[derive(Debug, FromQueryResult)]
struct RevocationRow {
    seq: i64,
    kind: String,
    tenant_id: String,
    value: String,
    revoked_at: DateTime<Utc>,
}

impl TryFrom<RevocationRow> for Revocation {
    type Error = AppError;

    fn try_from(r: RevocationRow) -> Result<Self, AppError> {
        Ok(Self {
            kind: stored("identity_token_revocations", &r.kind)?,
            seq: r.seq,
            tenant_id: stored_tenant("identity_token_revocations", &r.tenant_id)?,
            value: r.value,
            revoked_at: r.revoked_at,
        })
    }
}

/// The head row.
#[derive(Debug, FromQueryResult)]
struct HeadRow {
    seq: i64,
}

/// True when some committed row still lacks a sequence (a read-only check, so an idle feed
/// costs its pollers no write).
pub async fn has_unstamped(conn: &impl ConnectionTrait) -> Result<bool, AppError> {
    exists(
        conn,
        "SELECT id FROM identity_token_revocations WHERE seq IS NULL LIMIT 1",
        vec![],
    )
    .await
}

/// Numbers up to `batch` unstamped rows (oldest first) after the head, and deletes rows older
/// than `keep_after`. Runs in the caller's write transaction; the head UPDATE serialises
/// stampers until commit.
pub async fn stamp(
    conn: &impl ConnectionTrait,
    batch: i64,
    keep_after: DateTime<Utc>,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE identity_revocation_head SET seq = seq WHERE id = 1",
        vec![],
    )
    .await?;
    let mut seq = head(conn).await?;
    let unstamped = ids(
        conn,
        "SELECT id FROM identity_token_revocations WHERE seq IS NULL \
         ORDER BY revoked_at, id LIMIT $1",
        vec![Value::BigInt(Some(batch))],
    )
    .await?;
    for id in unstamped {
        seq += 1;
        execute(
            conn,
            "UPDATE identity_token_revocations SET seq = $1 WHERE id = $2",
            vec![Value::BigInt(Some(seq)), text(id)],
        )
        .await?;
    }
    execute(
        conn,
        "UPDATE identity_revocation_head SET seq = $1 WHERE id = 1",
        vec![Value::BigInt(Some(seq))],
    )
    .await?;
    execute(
        conn,
        "DELETE FROM identity_token_revocations WHERE revoked_at < $1",
        vec![ts(keep_after)],
    )
    .await?;
    Ok(())
}

/// The highest sequence handed out.
pub async fn head(conn: &impl ConnectionTrait) -> Result<i64, AppError> {
    Ok(fetch_one::<HeadRow>(
        conn,
        "SELECT seq FROM identity_revocation_head WHERE id = 1",
        vec![],
    )
    .await?
    .map_or(0, |r| r.seq))
}

/// Stamped entries after `after`, revoked at or after `since`, oldest first, at most `limit`.
pub async fn after(
    conn: &impl ConnectionTrait,
    after: i64,
    since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Revocation>, AppError> {
    fetch_all::<RevocationRow>(
        conn,
        "SELECT seq, kind, tenant_id, value, revoked_at FROM identity_token_revocations \
         WHERE seq > $1 AND revoked_at >= $2 ORDER BY seq LIMIT $3",
        vec![
            Value::BigInt(Some(after)),
            ts(since),
            Value::BigInt(Some(limit)),
        ],
    )
    .await?
    .into_iter()
    .map(Revocation::try_from)
    .collect()
}
