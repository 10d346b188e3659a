//! The journal: `mem_entries` (one row per entry, its business key unique per tenant) and
//! `mem_postings`. An entry's row is inserted first, as the claim of its key: a concurrent
//! request with the same key waits on the unique index (Postgres) or the write lock (SQLite)
//! and then finds the committed entry, so the same key never applies twice.

use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use super::{execute, fetch_all, fetch_one, opt_uuid, placeholders, stored, uuid};
use crate::AppError;
use crate::app::domain::{Account, Balances, EntryType, JournalEntry, MemberId, Posting};

pub mod balances;
pub mod check_ins;
pub mod earning_rules;
pub mod expiring;
pub mod expiry;
pub mod holds;
mod journal;
pub mod lots;
pub mod order_earnings;
pub mod policy;
pub mod reports;
pub mod top_up_plans;
pub mod top_ups;

pub use journal::{EntryFilter, list};

/// What an entry is before its postings: everything its row holds.
#[derive(Debug, Clone)]
pub struct EntryHead {
    /// Entry id.
    pub id: Uuid,
    /// What it does.
    pub entry_type: EntryType,
    /// The member it is about.
    pub member_id: MemberId,
    /// The business key.
    pub key: String,
    /// What the request was, to tell a repeat from a conflicting reuse of the key.
    pub fingerprint: String,
    /// The order concerned.
    pub order_id: Option<Uuid>,
    /// The refund concerned.
    pub refund_id: Option<Uuid>,
    /// The hold concerned.
    pub hold_id: Option<Uuid>,
    /// The rule applied.
    pub rule_id: Option<Uuid>,
    /// History text.
    pub description: String,
    /// Staff reason.
    pub reason: String,
    /// Who caused it.
    pub operator_id: String,
    /// Reference of the cause.
    pub reference_id: String,
    /// When.
    pub created_at_ms: i64,
}

const ENTRY: &str = "id, entry_type, member_id, idempotency_key, fingerprint, order_id, \
    refund_id, hold_id, rule_id, points_delta, sv_delta, description, reason, operator_id, \
    reference_id, created_at_ms";

#[derive(Debug, FromQueryResult)]
struct EntryRow {
    id: Uuid,
    entry_type: i16,
    member_id: Uuid,
    idempotency_key: String,
    fingerprint: String,
    order_id: Option<Uuid>,
    refund_id: Option<Uuid>,
    hold_id: Option<Uuid>,
    rule_id: Option<Uuid>,
    points_delta: i64,
    sv_delta: i64,
    description: String,
    reason: String,
    operator_id: String,
    reference_id: String,
    created_at_ms: i64,
}

#[derive(Debug, FromQueryResult)]
struct PostingRow {
    entry_id: Uuid,
    account: i16,
    member_id: Option<Uuid>,
    amount: i64,
    lot_id: Option<Uuid>,
    part: i16,
}

impl EntryRow {
    fn into_entry(self, postings: Vec<Posting>) -> Result<(JournalEntry, String), AppError> {
        Ok((
            JournalEntry {
                id: self.id,
                entry_type: stored(self.entry_type)?,
                member_id: MemberId(self.member_id),
                key: self.idempotency_key,
                order_id: self.order_id,
                refund_id: self.refund_id,
                hold_id: self.hold_id,
                rule_id: self.rule_id,
                points_delta: self.points_delta,
                sv_delta: self.sv_delta,
                description: self.description,
                reason: self.reason,
                operator_id: self.operator_id,
                reference_id: self.reference_id,
                postings,
                created_at_ms: self.created_at_ms,
            },
            self.fingerprint,
        ))
    }
}

/// Inserts the entry row of `head` as the claim of its key; `false` when the key was taken
/// (by a committed entry, once a concurrent claimant has finished).
#[tracing::instrument(skip_all, fields(entry_id = %head.id))]
pub async fn claim(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    head: &EntryHead,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "INSERT INTO mem_entries (tenant, id, entry_type, member_id, idempotency_key, fingerprint, \
         order_id, refund_id, hold_id, rule_id, description, reason, operator_id, reference_id, \
         created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         ON CONFLICT (tenant, idempotency_key) DO NOTHING",
        [
            uuid(tenant.0),
            uuid(head.id),
            Value::SmallInt(Some(head.entry_type.number())),
            uuid(head.member_id.0),
            head.key.clone().into(),
            head.fingerprint.clone().into(),
            opt_uuid(head.order_id),
            opt_uuid(head.refund_id),
            opt_uuid(head.hold_id),
            opt_uuid(head.rule_id),
            head.description.clone().into(),
            head.reason.clone().into(),
            head.operator_id.clone().into(),
            head.reference_id.clone().into(),
            head.created_at_ms.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// The statements that complete a claimed entry: its net member deltas, then (when it has any)
/// its postings; placeholders from `$first`, the postings' after the totals' when `chained`
/// (one statement) or from `$1` (a statement of their own).
fn completion(
    tenant: TenantId,
    head: &EntryHead,
    postings: &[Posting],
    points_delta: i64,
    sv_delta: i64,
    first: usize,
    chained: bool,
) -> Vec<(String, Vec<Value>)> {
    let assets = postings.iter().fold(0i16, |acc, p| {
        acc | match p.account.asset() {
            crate::app::domain::Asset::Points => 1,
            crate::app::domain::Asset::StoredValue => 2,
        }
    });
    let mut statements = vec![(
        format!(
            "UPDATE mem_entries SET points_delta = ${}, sv_delta = ${}, assets = ${} \
             WHERE tenant = ${} AND id = ${}",
            first,
            first + 1,
            first + 2,
            first + 3,
            first + 4
        ),
        vec![
            points_delta.into(),
            sv_delta.into(),
            Value::SmallInt(Some(assets)),
            uuid(tenant.0),
            uuid(head.id),
        ],
    )];
    if postings.is_empty() {
        return statements;
    }
    // Chained into one statement the postings number on from the totals; alone, from $1.
    let first = if chained { first + 5 } else { 1 };
    let mut rows = Vec::with_capacity(postings.len());
    let mut values: Vec<Value> = Vec::with_capacity(postings.len() * 9);
    for (seq, p) in postings.iter().enumerate() {
        rows.push(format!("({})", placeholders(first + values.len(), 9)));
        values.extend([
            uuid(tenant.0),
            uuid(head.id),
            Value::SmallInt(Some(i16::try_from(seq).unwrap_or(i16::MAX))),
            Value::SmallInt(Some(p.account.number())),
            opt_uuid(p.member.map(|m| m.0)),
            p.amount.into(),
            opt_uuid(p.lot_id),
            Value::SmallInt(Some(p.part.number())),
            head.created_at_ms.into(),
        ]);
    }
    statements.push((
        format!(
            "INSERT INTO mem_postings (tenant, entry_id, seq, account, member_id, amount, lot_id, \
             part, created_at_ms) VALUES {}",
            rows.join(", ")
        ),
        values,
    ));
    statements
}

/// Writes the postings of a claimed entry and its net member deltas.
pub async fn complete(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    head: &EntryHead,
    postings: &[Posting],
    points_delta: i64,
    sv_delta: i64,
) -> Result<(), AppError> {
    for (sql, values) in completion(tenant, head, postings, points_delta, sv_delta, 1, false) {
        execute(conn, &sql, values).await?;
    }
    Ok(())
}

/// [`complete`] and [`balances::apply`] of the entry's own member: on Postgres one statement
/// (the entry's totals and postings as data-modifying CTEs of the balance UPDATE, one round
/// trip instead of three), elsewhere one after another. `None` when a balance would go
/// negative: the entry's writes may have happened then, so the caller must fail the
/// transaction (it does: an overdraw under the member's lock is an internal error).
pub async fn complete_and_apply(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    head: &EntryHead,
    postings: &[Posting],
    (points_delta, sv_delta): (i64, i64),
    delta: &Balances,
) -> Result<Option<Balances>, AppError> {
    if conn.get_database_backend() != DbBackend::Postgres {
        complete(conn, tenant, head, postings, points_delta, sv_delta).await?;
        return balances::apply(conn, tenant, head.member_id, delta, head.created_at_ms).await;
    }
    let statements = completion(
        tenant,
        head,
        postings,
        points_delta,
        sv_delta,
        balances::APPLY_PARAMS + 1,
        true,
    );
    let (ctes, values): (Vec<String>, Vec<Vec<Value>>) = statements
        .into_iter()
        .enumerate()
        .map(|(i, (sql, values))| (format!("w{i} AS ({sql})"), values))
        .unzip();
    balances::apply_with(
        conn,
        tenant,
        head.member_id,
        delta,
        head.created_at_ms,
        Some((format!("WITH {} ", ctes.join(", ")), values.concat())),
    )
    .await
}

/// The entry holding `key`, with its postings and the fingerprint of its request.
pub async fn by_key(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    key: &str,
) -> Result<Option<(JournalEntry, String)>, AppError> {
    let sql = format!("SELECT {ENTRY} FROM mem_entries WHERE tenant = $1 AND idempotency_key = $2");
    let Some(row) = fetch_one::<EntryRow>(conn, &sql, [uuid(tenant.0), key.into()]).await? else {
        return Ok(None);
    };
    let postings = postings_of(conn, tenant, &[row.id]).await?;
    row.into_entry(postings.into_iter().map(|(_, p)| p).collect())
        .map(Some)
}

async fn postings_of(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    entries: &[Uuid],
) -> Result<Vec<(Uuid, Posting)>, AppError> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT entry_id, account, member_id, amount, lot_id, part FROM mem_postings \
         WHERE tenant = $1 AND entry_id IN ({}) ORDER BY entry_id, seq",
        placeholders(2, entries.len())
    );
    let mut values = vec![uuid(tenant.0)];
    values.extend(entries.iter().map(|e| uuid(*e)));
    let rows: Vec<PostingRow> = fetch_all(conn, &sql, values).await?;
    rows.into_iter()
        .map(|r| {
            Ok((
                r.entry_id,
                Posting {
                    account: stored::<Account>(r.account)?,
                    member: r.member_id.map(MemberId),
                    amount: r.amount,
                    lot_id: r.lot_id,
                    part: stored(r.part)?,
                },
            ))
        })
        .collect()
}
