//! `inv_movements`: the journal. Ids are UUIDv7, so ordering by id is ordering by time.

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::domain::{Movement, MovementKind};
use crate::repo::{execute, fetch_all, placeholders, stored, uuid};

const COLUMNS: &str = "id, sku_id, location_id, kind, quantity, on_hand_after, reason, note, \
    order_id, refund_id, transfer_id, sync_id, reference, operator_id, created_at_ms";
const N: usize = 15;

/// A row of `inv_movements` selected with [`COLUMNS`].
#[derive(Debug, FromQueryResult)]
struct MovementRow {
    id: Uuid,
    sku_id: Uuid,
    location_id: Uuid,
    kind: i16,
    quantity: i32,
    on_hand_after: i32,
    reason: i16,
    note: String,
    order_id: String,
    refund_id: String,
    transfer_id: String,
    sync_id: String,
    reference: String,
    operator_id: String,
    created_at_ms: i64,
}

impl TryFrom<MovementRow> for Movement {
    type Error = AppError;

    fn try_from(r: MovementRow) -> Result<Self, AppError> {
        Ok(Self {
            id: r.id,
            sku_id: r.sku_id,
            location_id: r.location_id,
            kind: stored(r.kind)?,
            quantity: r.quantity,
            on_hand_after: r.on_hand_after,
            reason: r.reason,
            note: r.note,
            order_id: r.order_id,
            refund_id: r.refund_id,
            transfer_id: r.transfer_id,
            sync_id: r.sync_id,
            reference: r.reference,
            operator_id: r.operator_id,
            created_at_ms: r.created_at_ms,
        })
    }
}

/// Writes movements in one multi-row INSERT (one round trip however many lines).
#[tracing::instrument(skip_all, fields(n = ms.len()))]
pub async fn insert_many(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    ms: &[Movement],
) -> Result<(), AppError> {
    if ms.is_empty() {
        return Ok(());
    }
    let mut rows = Vec::with_capacity(ms.len());
    let mut v: Vec<Value> = Vec::with_capacity(ms.len() * (N + 1));
    for m in ms {
        rows.push(format!("({})", placeholders(v.len() + 1, N + 1)));
        v.extend([
            uuid(tenant.0),
            uuid(m.id),
            uuid(m.sku_id),
            uuid(m.location_id),
            Value::SmallInt(Some(m.kind as i16)),
            m.quantity.into(),
            m.on_hand_after.into(),
            Value::SmallInt(Some(m.reason)),
            m.note.as_str().into(),
            m.order_id.as_str().into(),
            m.refund_id.as_str().into(),
            m.transfer_id.as_str().into(),
            m.sync_id.as_str().into(),
            m.reference.as_str().into(),
            m.operator_id.as_str().into(),
            m.created_at_ms.into(),
        ]);
    }
    let sql = format!(
        "INSERT INTO inv_movements (tenant, {COLUMNS}) VALUES {}",
        rows.join(", ")
    );
    execute(conn, &sql, v).await.map(|_| ())
}

/// Filters of [`list`].
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this location.
    pub location_id: Option<Uuid>,
    /// Only this SKU.
    pub sku_id: Option<Uuid>,
    /// Only these kinds (empty = all).
    pub kinds: Vec<MovementKind>,
    /// Only this order.
    pub order_id: Option<String>,
    /// Only this transfer.
    pub transfer_id: Option<String>,
    /// Only this refund.
    pub refund_id: Option<String>,
    /// Only this reference.
    pub reference: Option<String>,
    /// From, ms inclusive.
    pub start_ms: Option<i64>,
    /// To, ms exclusive.
    pub end_ms: Option<i64>,
}

/// Newest first, keyset-paged by id.
#[tracing::instrument(skip_all)]
pub async fn list(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    f: &Filter,
    before: Option<Uuid>,
    limit: u64,
) -> Result<Vec<Movement>, AppError> {
    let mut sql = format!("SELECT {COLUMNS} FROM inv_movements WHERE tenant = $1");
    let mut v = vec![uuid(tenant.0)];
    let mut add = |sql: &mut String, cond: &str, value: Value| {
        v.push(value);
        sql.push_str(&format!(" AND {cond} ${}", v.len()));
    };
    if let Some(l) = f.location_id {
        add(&mut sql, "location_id =", uuid(l));
    }
    if let Some(s) = f.sku_id {
        add(&mut sql, "sku_id =", uuid(s));
    }
    if let Some(o) = &f.order_id {
        add(&mut sql, "order_id =", o.as_str().into());
    }
    if let Some(t) = &f.transfer_id {
        add(&mut sql, "transfer_id =", t.as_str().into());
    }
    if let Some(r) = &f.refund_id {
        add(&mut sql, "refund_id =", r.as_str().into());
    }
    if let Some(r) = &f.reference {
        add(&mut sql, "reference =", r.as_str().into());
    }
    if let Some(s) = f.start_ms {
        add(&mut sql, "created_at_ms >=", s.into());
    }
    if let Some(e) = f.end_ms {
        add(&mut sql, "created_at_ms <", e.into());
    }
    if let Some(b) = before {
        add(&mut sql, "id <", uuid(b));
    }
    if !f.kinds.is_empty() {
        let kinds: Vec<String> = f.kinds.iter().map(|k| (*k as i16).to_string()).collect();
        // Small integers from our own enum, not user text: inlining them is injection-free.
        sql.push_str(&format!(" AND kind IN ({})", kinds.join(", ")));
    }
    sql.push_str(&format!(" ORDER BY id DESC LIMIT {limit}"));
    fetch_all::<MovementRow>(conn, &sql, v)
        .await?
        .into_iter()
        .map(Movement::try_from)
        .collect()
}
