//! `inv_transfers`: one row per transfer, lines as JSON text. Every state change is one
//! conditional `UPDATE … WHERE status = X RETURNING`, so of concurrent retries exactly one
//! matches (Postgres re-checks the WHERE after the row lock is released; SQLite serialises
//! writers) and only that caller moves stock.

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use super::{execute, fetch_all, from_json, placeholders, stored, uuid};
use crate::AppError;
use crate::app::domain::{Transfer, TransferLine, TransferStatus};

const COLUMNS: &str = "id, transfer_no, from_location_id, to_location_id, status, lines, note, \
    tracking_reference, created_by, created_at_ms, shipped_at_ms, closed_at_ms";

/// A row of `inv_transfers` selected with [`COLUMNS`].
#[derive(Debug, FromQueryResult)]
struct TransferRow {
    id: Uuid,
    transfer_no: String,
    from_location_id: Uuid,
    to_location_id: Uuid,
    status: i16,
    lines: String,
    note: String,
    tracking_reference: String,
    created_by: String,
    created_at_ms: i64,
    shipped_at_ms: Option<i64>,
    closed_at_ms: Option<i64>,
}

impl TryFrom<TransferRow> for Transfer {
    type Error = AppError;

    fn try_from(r: TransferRow) -> Result<Self, AppError> {
        Ok(Self {
            id: r.id,
            transfer_no: r.transfer_no,
            from_location_id: r.from_location_id,
            to_location_id: r.to_location_id,
            lines: from_json("lines", &r.lines)?,
            status: stored(r.status)?,
            note: r.note,
            tracking_reference: r.tracking_reference,
            created_by: r.created_by,
            created_at_ms: r.created_at_ms,
            shipped_at_ms: r.shipped_at_ms,
            closed_at_ms: r.closed_at_ms,
        })
    }
}

/// Transfers of a query selecting (or returning) [`COLUMNS`].
async fn transfers(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<Transfer>, AppError> {
    fetch_all::<TransferRow>(conn, sql, values)
        .await?
        .into_iter()
        .map(Transfer::try_from)
        .collect()
}

fn lines_json(lines: &[TransferLine]) -> Result<String, AppError> {
    serde_json::to_string(lines).map_err(|e| AppError::Internal(format!("transfer lines: {e}")))
}

fn status(s: TransferStatus) -> Value {
    Value::SmallInt(Some(s as i16))
}

/// Inserts a CREATED transfer.
#[tracing::instrument(skip_all, fields(transfer_id = %t.id))]
pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    t: &Transfer,
) -> Result<(), AppError> {
    let sql = format!(
        "INSERT INTO inv_transfers (tenant, {COLUMNS}) VALUES ({})",
        placeholders(1, 13)
    );
    execute(
        conn,
        &sql,
        [
            uuid(tenant.0),
            uuid(t.id),
            t.transfer_no.as_str().into(),
            uuid(t.from_location_id),
            uuid(t.to_location_id),
            status(t.status),
            lines_json(&t.lines)?.into(),
            t.note.as_str().into(),
            t.tracking_reference.as_str().into(),
            t.created_by.as_str().into(),
            t.created_at_ms.into(),
            t.shipped_at_ms.into(),
            t.closed_at_ms.into(),
        ],
    )
    .await
    .map(|_| ())
}

/// A transfer of the tenant.
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<Transfer>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM inv_transfers WHERE tenant = $1 AND id = $2");
    Ok(transfers(conn, &sql, vec![uuid(tenant.0), uuid(id)])
        .await?
        .pop())
}

/// What a transition writes besides the status.
#[derive(Debug, Clone, Copy)]
pub enum Change<'a> {
    /// CREATED → SHIPPED with the tracking reference.
    Ship {
        /// Carrier reference.
        tracking: &'a str,
    },
    /// SHIPPED → RECEIVED with the counted lines and the note.
    Receive {
        /// Lines with their received quantities.
        lines: &'a [TransferLine],
        /// The note after.
        note: &'a str,
    },
    /// CREATED → CANCELLED.
    Cancel,
}

/// `from` → the change's state if the transfer is still in `from`: the row after, or `None`
/// when another caller (or an earlier call) moved it first.
#[tracing::instrument(skip_all, fields(%id))]
pub async fn transition(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    from: TransferStatus,
    change: Change<'_>,
    now_ms: i64,
) -> Result<Option<Transfer>, AppError> {
    let mut v = vec![uuid(tenant.0), uuid(id), status(from), now_ms.into()];
    let set = match change {
        Change::Ship { tracking } => {
            v.extend([status(TransferStatus::Shipped), tracking.into()]);
            "status = $5, tracking_reference = $6, shipped_at_ms = $4"
        }
        Change::Receive { lines, note } => {
            v.extend([
                status(TransferStatus::Received),
                lines_json(lines)?.into(),
                note.into(),
            ]);
            "status = $5, lines = $6, note = $7, closed_at_ms = $4"
        }
        Change::Cancel => {
            v.push(status(TransferStatus::Cancelled));
            "status = $5, closed_at_ms = $4"
        }
    };
    let sql = format!(
        "UPDATE inv_transfers SET {set} WHERE tenant = $1 AND id = $2 AND status = $3 \
         RETURNING {COLUMNS}"
    );
    Ok(transfers(conn, &sql, v).await?.pop())
}

/// Newest first, keyset-paged by id: transfers from or to `location` (all when `None`) in
/// `statuses` (all when empty).
#[tracing::instrument(skip_all)]
pub async fn list(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    location: Option<Uuid>,
    statuses: &[TransferStatus],
    before: Option<Uuid>,
    limit: u64,
) -> Result<Vec<Transfer>, AppError> {
    let mut sql = format!("SELECT {COLUMNS} FROM inv_transfers WHERE tenant = $1");
    let mut v = vec![uuid(tenant.0)];
    if let Some(l) = location {
        v.push(uuid(l));
        sql.push_str(" AND (from_location_id = $2 OR to_location_id = $2)");
    }
    if let Some(b) = before {
        v.push(uuid(b));
        sql.push_str(&format!(" AND id < ${}", v.len()));
    }
    if !statuses.is_empty() {
        let s: Vec<String> = statuses.iter().map(|s| (*s as i16).to_string()).collect();
        // Small integers from our own enum, not user text: inlining them is injection-free.
        sql.push_str(&format!(" AND status IN ({})", s.join(", ")));
    }
    sql.push_str(&format!(" ORDER BY id DESC LIMIT {limit}"));
    transfers(conn, &sql, v).await
}
