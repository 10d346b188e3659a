//! The revocation feed's read side. Writers (logout, disable, partner revoke) insert rows
//! without a sequence; [`stamp`] numbers committed rows in one serial step under the head row
//! lock, so a sequence is only ever handed out above every sequence a reader has already seen:
//! a cursor never skips a row that commits late.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, Value};

use crate::repo::{all, exec, one, text, ts};

/// One feed entry.
#[derive(Debug, Clone)]
pub struct Revocation {
    /// Position in the feed.
    pub seq: i64,
    /// SESSION, SUBJECT or TOKEN.
    pub kind: String,
    /// Tenant of the revoked tokens.
    pub tenant_id: String,
    /// The sid, sub or jti.
    pub value: String,
    /// When revoked.
    pub revoked_at: DateTime<Utc>,
}

/// True when some committed row still lacks a sequence (a read-only check, so an idle feed
/// costs its pollers no write).
pub async fn has_unstamped(conn: &impl ConnectionTrait) -> Result<bool, DbErr> {
    Ok(one(
        conn,
        "SELECT id FROM identity_token_revocations WHERE seq IS NULL LIMIT 1",
        vec![],
    )
    .await?
    .is_some())
}

/// Numbers up to `batch` unstamped rows (oldest first) after the head, and deletes rows older
/// than `keep_after`. Runs in the caller's write transaction; the head UPDATE serialises
/// stampers until commit.
pub async fn stamp(
    conn: &impl ConnectionTrait,
    batch: i64,
    keep_after: DateTime<Utc>,
) -> Result<(), DbErr> {
    exec(
        conn,
        "UPDATE identity_revocation_head SET seq = seq WHERE id = 1",
        vec![],
    )
    .await?;
    let mut seq = head(conn).await?;
    let rows = all(
        conn,
        "SELECT id FROM identity_token_revocations WHERE seq IS NULL \
         ORDER BY revoked_at, id LIMIT $1",
        vec![Value::BigInt(Some(batch))],
    )
    .await?;
    for row in &rows {
        let id: String = row.try_get("", "id")?;
        seq += 1;
        exec(
            conn,
            "UPDATE identity_token_revocations SET seq = $1 WHERE id = $2",
            vec![Value::BigInt(Some(seq)), text(id)],
        )
        .await?;
    }
    exec(
        conn,
        "UPDATE identity_revocation_head SET seq = $1 WHERE id = 1",
        vec![Value::BigInt(Some(seq))],
    )
    .await?;
    exec(
        conn,
        "DELETE FROM identity_token_revocations WHERE revoked_at < $1",
        vec![ts(keep_after)],
    )
    .await?;
    Ok(())
}

/// The highest sequence handed out.
pub async fn head(conn: &impl ConnectionTrait) -> Result<i64, DbErr> {
    match one(
        conn,
        "SELECT seq FROM identity_revocation_head WHERE id = 1",
        vec![],
    )
    .await?
    {
        Some(row) => row.try_get("", "seq"),
        None => Ok(0),
    }
}

/// Stamped entries after `after`, revoked at or after `since`, oldest first, at most `limit`.
pub async fn after(
    conn: &impl ConnectionTrait,
    after: i64,
    since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Revocation>, DbErr> {
    let rows = all(
        conn,
        "SELECT seq, kind, tenant_id, value, revoked_at FROM identity_token_revocations \
         WHERE seq > $1 AND revoked_at >= $2 ORDER BY seq LIMIT $3",
        vec![
            Value::BigInt(Some(after)),
            ts(since),
            Value::BigInt(Some(limit)),
        ],
    )
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Revocation {
                seq: row.try_get("", "seq")?,
                kind: row.try_get("", "kind")?,
                tenant_id: row.try_get("", "tenant_id")?,
                value: row.try_get("", "value")?,
                revoked_at: row.try_get("", "revoked_at")?,
            })
        })
        .collect()
}
