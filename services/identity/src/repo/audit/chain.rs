//! The hash-chained audit log. Appends take the tenant's chain head row (an UPDATE, so
//! concurrent appends of one tenant serialise on it) in the caller's transaction.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use sha2::{Digest, Sha256};
use siyu_core::TenantId;

use crate::error::AppError;
use crate::repo::audit::AuditOutcome;
use crate::repo::{
    execute, fetch_all, fetch_one, micros, stored, stored_tenant, tenant_text, text, ts,
};

/// An entry to append.
#[derive(Debug, Clone)]
pub struct NewEntry {
    /// AuditKind name without prefix, e.g. `STAFF_LOGIN`.
    pub kind: &'static str,
    /// How it ended.
    pub outcome: AuditOutcome,
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
    pub tenant_id: TenantId,
    /// 1-based sequence in the tenant's chain.
    pub seq: i64,
    /// Entry id.
    pub id: String,
    /// Kind.
    pub kind: String,
    /// Outcome.
    pub outcome: AuditOutcome,
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
            self.outcome.as_str(),
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

/// A row of [`ENTRY_COLUMNS`].
#[derive(Debug, FromQueryResult)]
struct EntryRow {
    tenant_id: String,
    seq: i64,
    id: String,
    kind: String,
    outcome: String,
    actor_kind: String,
    actor_id: String,
    target_kind: String,
    target_id: String,
    details: String,
    created_at: DateTime<Utc>,
    prev_hash: String,
    hash: String,
}

impl TryFrom<EntryRow> for Entry {
    type Error = AppError;

    fn try_from(r: EntryRow) -> Result<Self, AppError> {
        Ok(Self {
            outcome: stored("identity_audit_log", &r.outcome)?,
            tenant_id: stored_tenant("identity_audit_log", &r.tenant_id)?,
            seq: r.seq,
            id: r.id,
            kind: r.kind,
            actor_kind: r.actor_kind,
            actor_id: r.actor_id,
            target_kind: r.target_kind,
            target_id: r.target_id,
            details: r.details,
            created_at: r.created_at,
            prev_hash: r.prev_hash,
            hash: r.hash,
        })
    }
}

/// The columns of an entry.
pub(crate) const ENTRY_COLUMNS: &str = "tenant_id, seq, id, kind, outcome, actor_kind, \
    actor_id, target_kind, target_id, details, created_at, prev_hash, hash";

/// The entries of a query selecting [`ENTRY_COLUMNS`].
pub(crate) async fn entries(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<Entry>, AppError> {
    fetch_all::<EntryRow>(conn, sql, values)
        .await?
        .into_iter()
        .map(Entry::try_from)
        .collect()
}

/// The entry of a query selecting [`ENTRY_COLUMNS`], if any.
pub(crate) async fn entry(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Option<Entry>, AppError> {
    fetch_one::<EntryRow>(conn, sql, values)
        .await?
        .map(Entry::try_from)
        .transpose()
}

/// A chain head row.
#[derive(Debug, FromQueryResult)]
struct HeadRow {
    seq: i64,
    hash: String,
}

/// Appends `entry` to the tenant's chain inside the caller's transaction.
#[tracing::instrument(skip_all, fields(tenant, kind = entry.kind))]
pub async fn append(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    entry: NewEntry,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO identity_audit_heads (tenant_id, seq, hash) VALUES ($1, 0, '') \
         ON CONFLICT (tenant_id) DO NOTHING",
        vec![tenant_text(tenant)],
    )
    .await?;
    // The UPDATE takes the head's row lock until commit: appends of one tenant are serial.
    execute(
        conn,
        "UPDATE identity_audit_heads SET seq = seq + 1 WHERE tenant_id = $1",
        vec![tenant_text(tenant)],
    )
    .await?;
    let HeadRow {
        seq,
        hash: prev_hash,
    } = fetch_one::<HeadRow>(
        conn,
        "SELECT seq, hash FROM identity_audit_heads WHERE tenant_id = $1",
        vec![tenant_text(tenant)],
    )
    .await?
    .ok_or_else(|| AppError::Internal("audit head vanished".into()))?;
    let details = serde_json::to_string(&entry.details).unwrap_or_else(|_| "{}".into());
    let mut row = Entry {
        tenant_id: tenant.to_owned(),
        seq,
        id: siyu_core::id::new_string(),
        kind: entry.kind.to_owned(),
        outcome: entry.outcome,
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
    execute(
        conn,
        "INSERT INTO identity_audit_log (tenant_id, seq, id, kind, actor_kind, actor_id, \
         target_kind, target_id, outcome, details, created_at, prev_hash, hash) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)",
        vec![
            tenant_text(row.tenant_id),
            Value::BigInt(Some(row.seq)),
            text(&row.id),
            text(&row.kind),
            text(&row.actor_kind),
            text(&row.actor_id),
            text(&row.target_kind),
            text(&row.target_id),
            text(row.outcome.as_str()),
            text(&row.details),
            ts(row.created_at),
            text(&row.prev_hash),
            text(&row.hash),
        ],
    )
    .await?;
    execute(
        conn,
        "UPDATE identity_audit_heads SET hash = $1 WHERE tenant_id = $2",
        vec![text(&row.hash), tenant_text(tenant)],
    )
    .await?;
    Ok(())
}

/// Entries of a tenant from `from_seq`, ascending, at most `limit`.
#[tracing::instrument(skip_all, fields(tenant))]
pub async fn range(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    from_seq: i64,
    limit: i64,
) -> Result<Vec<Entry>, AppError> {
    entries(
        conn,
        &format!(
            "SELECT {ENTRY_COLUMNS} FROM identity_audit_log \
             WHERE tenant_id = $1 AND seq >= $2 ORDER BY seq ASC LIMIT $3"
        ),
        vec![
            tenant_text(tenant),
            Value::BigInt(Some(from_seq)),
            Value::BigInt(Some(limit)),
        ],
    )
    .await
}

/// Entries of a tenant, newest first, before sequence `before` (exclusive), optionally of
/// one kind.
#[tracing::instrument(skip_all, fields(tenant))]
pub async fn list_desc(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    before: i64,
    limit: i64,
) -> Result<Vec<Entry>, AppError> {
    entries(
        conn,
        &format!(
            "SELECT {ENTRY_COLUMNS} FROM identity_audit_log \
             WHERE tenant_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3"
        ),
        vec![
            tenant_text(tenant),
            Value::BigInt(Some(before)),
            Value::BigInt(Some(limit)),
        ],
    )
    .await
}

/// The chain head (sequence, hash) of a tenant; (0, "") before the first entry.
pub async fn head(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<(i64, String), AppError> {
    Ok(fetch_one::<HeadRow>(
        conn,
        "SELECT seq, hash FROM identity_audit_heads WHERE tenant_id = $1",
        vec![tenant_text(tenant)],
    )
    .await?
    .map_or((0, String::new()), |h| (h.seq, h.hash)))
}
