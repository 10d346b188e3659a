//! The hash-chained audit log. Appends take the tenant's chain head row (an UPDATE, so
//! concurrent appends of one tenant serialise on it) in the caller's transaction.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, Value};
use sha2::{Digest, Sha256};

use crate::repo::{all, exec, micros, one, text, ts};

/// An entry to append.
#[derive(Debug, Clone)]
pub struct NewEntry {
    /// AuditKind name without prefix, e.g. `STAFF_LOGIN`.
    pub kind: &'static str,
    /// `SUCCESS` or `FAILURE`.
    pub outcome: &'static str,
    /// `consumer`, `staff`, `partner`, `service`, `anonymous`.
    pub actor_kind: String,
    /// Actor id (may be empty).
    pub actor_id: String,
    /// Subject kind (`staff`, `user`, `tenant`, `session`, `partner`, `signing_key`).
    pub target_kind: String,
    /// Subject id.
    pub target_id: String,
    /// Non-secret details.
    pub details: BTreeMap<String, String>,
}

/// A stored entry.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Tenant.
    pub tenant_id: String,
    /// 1-based sequence in the tenant's chain.
    pub seq: i64,
    /// Entry id.
    pub id: String,
    /// Kind.
    pub kind: String,
    /// Outcome.
    pub outcome: String,
    /// Actor kind.
    pub actor_kind: String,
    /// Actor id.
    pub actor_id: String,
    /// Subject kind.
    pub target_kind: String,
    /// Subject id.
    pub target_id: String,
    /// Details as canonical JSON.
    pub details: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Hash of the previous entry ("" for the first).
    pub prev_hash: String,
    /// sha256(prev_hash || canonical row).
    pub hash: String,
}

impl Entry {
    /// The canonical serialisation hashed into the chain: a JSON array of every column but the
    /// hashes, in a fixed order.
    pub fn canonical(&self) -> String {
        serde_json::json!([
            self.tenant_id,
            self.seq,
            self.id,
            self.kind,
            self.outcome,
            self.actor_kind,
            self.actor_id,
            self.target_kind,
            self.target_id,
            self.details,
            self.created_at.timestamp_micros(),
        ])
        .to_string()
    }

    /// The hash this entry must carry given its `prev_hash`.
    pub fn expected_hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.prev_hash.as_bytes());
        h.update(self.canonical().as_bytes());
        hex::encode(h.finalize())
    }
}

/// Appends `entry` to the tenant's chain inside the caller's transaction.
#[tracing::instrument(skip_all, fields(tenant, kind = entry.kind))]
pub async fn append(
    conn: &impl ConnectionTrait,
    tenant: &str,
    entry: NewEntry,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    exec(
        conn,
        "INSERT INTO identity_audit_heads (tenant_id, seq, hash) VALUES ($1, 0, '') \
         ON CONFLICT (tenant_id) DO NOTHING",
        vec![text(tenant)],
    )
    .await?;
    // The UPDATE takes the head's row lock until commit: appends of one tenant are serial.
    exec(
        conn,
        "UPDATE identity_audit_heads SET seq = seq + 1 WHERE tenant_id = $1",
        vec![text(tenant)],
    )
    .await?;
    let head = one(
        conn,
        "SELECT seq, hash FROM identity_audit_heads WHERE tenant_id = $1",
        vec![text(tenant)],
    )
    .await?
    .ok_or_else(|| DbErr::RecordNotFound("audit head".into()))?;
    let seq: i64 = head.try_get("", "seq")?;
    let prev_hash: String = head.try_get("", "hash")?;
    let details = serde_json::to_string(&entry.details).unwrap_or_else(|_| "{}".into());
    let mut row = Entry {
        tenant_id: tenant.to_owned(),
        seq,
        id: siyu_core::id::new_string(),
        kind: entry.kind.to_owned(),
        outcome: entry.outcome.to_owned(),
        actor_kind: entry.actor_kind,
        actor_id: entry.actor_id,
        target_kind: entry.target_kind,
        target_id: entry.target_id,
        details,
        created_at: micros(now),
        prev_hash,
        hash: String::new(),
    };
    row.hash = row.expected_hash();
    exec(
        conn,
        "INSERT INTO identity_audit_log (tenant_id, seq, id, kind, actor_kind, actor_id, \
         target_kind, target_id, outcome, details, created_at, prev_hash, hash) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)",
        vec![
            text(&row.tenant_id),
            Value::BigInt(Some(row.seq)),
            text(&row.id),
            text(&row.kind),
            text(&row.actor_kind),
            text(&row.actor_id),
            text(&row.target_kind),
            text(&row.target_id),
            text(&row.outcome),
            text(&row.details),
            ts(row.created_at),
            text(&row.prev_hash),
            text(&row.hash),
        ],
    )
    .await?;
    exec(
        conn,
        "UPDATE identity_audit_heads SET hash = $1 WHERE tenant_id = $2",
        vec![text(&row.hash), text(tenant)],
    )
    .await?;
    Ok(())
}

/// Entries of a tenant from `from_seq`, ascending, at most `limit`.
#[tracing::instrument(skip_all, fields(tenant))]
pub async fn range(
    conn: &impl ConnectionTrait,
    tenant: &str,
    from_seq: i64,
    limit: i64,
) -> Result<Vec<Entry>, DbErr> {
    let rows = all(
        conn,
        "SELECT tenant_id, seq, id, kind, outcome, actor_kind, actor_id, target_kind, target_id, \
         details, created_at, prev_hash, hash FROM identity_audit_log \
         WHERE tenant_id = $1 AND seq >= $2 ORDER BY seq ASC LIMIT $3",
        vec![
            text(tenant),
            Value::BigInt(Some(from_seq)),
            Value::BigInt(Some(limit)),
        ],
    )
    .await?;
    rows.iter().map(decode).collect()
}

/// Entries of a tenant, newest first, before sequence `before` (exclusive), optionally of
/// one kind.
#[tracing::instrument(skip_all, fields(tenant))]
pub async fn list_desc(
    conn: &impl ConnectionTrait,
    tenant: &str,
    before: i64,
    limit: i64,
) -> Result<Vec<Entry>, DbErr> {
    let rows = all(
        conn,
        "SELECT tenant_id, seq, id, kind, outcome, actor_kind, actor_id, target_kind, target_id, \
         details, created_at, prev_hash, hash FROM identity_audit_log \
         WHERE tenant_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3",
        vec![
            text(tenant),
            Value::BigInt(Some(before)),
            Value::BigInt(Some(limit)),
        ],
    )
    .await?;
    rows.iter().map(decode).collect()
}

/// The chain head (sequence, hash) of a tenant; (0, "") before the first entry.
pub async fn head(conn: &impl ConnectionTrait, tenant: &str) -> Result<(i64, String), DbErr> {
    let row = one(
        conn,
        "SELECT seq, hash FROM identity_audit_heads WHERE tenant_id = $1",
        vec![text(tenant)],
    )
    .await?;
    match row {
        Some(row) => Ok((row.try_get("", "seq")?, row.try_get("", "hash")?)),
        None => Ok((0, String::new())),
    }
}

/// Decodes a row of every audit column.
pub(crate) fn decode(row: &sea_orm::QueryResult) -> Result<Entry, DbErr> {
    Ok(Entry {
        tenant_id: row.try_get("", "tenant_id")?,
        seq: row.try_get("", "seq")?,
        id: row.try_get("", "id")?,
        kind: row.try_get("", "kind")?,
        outcome: row.try_get("", "outcome")?,
        actor_kind: row.try_get("", "actor_kind")?,
        actor_id: row.try_get("", "actor_id")?,
        target_kind: row.try_get("", "target_kind")?,
        target_id: row.try_get("", "target_id")?,
        details: row.try_get("", "details")?,
        created_at: row.try_get("", "created_at")?,
        prev_hash: row.try_get("", "prev_hash")?,
        hash: row.try_get("", "hash")?,
    })
}
