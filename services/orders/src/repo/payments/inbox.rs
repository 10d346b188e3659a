//! `pay_notifications`: the inbox, one row per (tenant, kind, PSP key); a repeated key only
//! counts its delivery.

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use super::{fetch_all, fetch_one, stored, uuid};
use crate::AppError;
use crate::app::payments::{Notification, NotificationKind, Outcome};

const COLUMNS: &str = "id, psp_notification_id, kind, event_type, psp_key, out_trade_no, \
    out_refund_no, payment_id, refund_id, psp_state, amount_fen, outcome, delivery_count, \
    first_received_at_ms, last_received_at_ms";

#[derive(Debug, FromQueryResult)]
struct NotificationRow {
    id: Uuid,
    psp_notification_id: String,
    kind: i16,
    event_type: String,
    psp_key: String,
    out_trade_no: String,
    out_refund_no: String,
    payment_id: Option<Uuid>,
    refund_id: Option<Uuid>,
    psp_state: String,
    amount_fen: i64,
    outcome: i16,
    delivery_count: i32,
    first_received_at_ms: i64,
    last_received_at_ms: i64,
}

impl TryFrom<NotificationRow> for Notification {
    type Error = AppError;

    fn try_from(r: NotificationRow) -> Result<Self, AppError> {
        Ok(Self {
            id: r.id,
            psp_notification_id: r.psp_notification_id,
            kind: stored::<NotificationKind>(r.kind)?,
            event_type: r.event_type,
            psp_key: r.psp_key,
            out_trade_no: r.out_trade_no,
            out_refund_no: r.out_refund_no,
            payment_id: r.payment_id,
            refund_id: r.refund_id,
            psp_state: r.psp_state,
            amount_fen: r.amount_fen,
            outcome: stored::<Outcome>(r.outcome)?,
            delivery_count: r.delivery_count,
            first_received_at_ms: r.first_received_at_ms,
            last_received_at_ms: r.last_received_at_ms,
        })
    }
}

/// Records `n` under its key, or counts one more delivery of the key already there; returns
/// the stored record (its `delivery_count` is 1 exactly when this call inserted it). Concurrent
/// deliveries of one key serialise on the unique index.
pub async fn record(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    n: &Notification,
) -> Result<Notification, AppError> {
    let sql = format!(
        "INSERT INTO pay_notifications (tenant, id, provider, kind, psp_key, psp_notification_id,
            event_type, out_trade_no, out_refund_no, payment_id, refund_id, psp_state, amount_fen,
            outcome, delivery_count, first_received_at_ms, last_received_at_ms)
         VALUES ($1, $2, 1, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 1, $14, $14)
         ON CONFLICT (tenant, kind, psp_key) DO UPDATE SET
            delivery_count = pay_notifications.delivery_count + 1,
            last_received_at_ms = EXCLUDED.last_received_at_ms
         RETURNING {COLUMNS}"
    );
    let row: Option<NotificationRow> = fetch_one(
        conn,
        &sql,
        vec![
            uuid(tenant.0),
            uuid(n.id),
            (n.kind as i16).into(),
            n.psp_key.clone().into(),
            n.psp_notification_id.clone().into(),
            n.event_type.clone().into(),
            n.out_trade_no.clone().into(),
            n.out_refund_no.clone().into(),
            Value::Uuid(n.payment_id),
            Value::Uuid(n.refund_id),
            n.psp_state.clone().into(),
            n.amount_fen.into(),
            (n.outcome as i16).into(),
            n.first_received_at_ms.into(),
        ],
    )
    .await?;
    row.ok_or_else(|| AppError::Internal("inbox insert returned nothing".into()))?
        .try_into()
}

/// What a list of inbox records is narrowed to (at least one filter).
#[derive(Debug, Clone, Default)]
pub struct InboxFilter {
    /// Applied to this payment.
    pub payment_id: Option<Uuid>,
    /// Applied to this refund.
    pub refund_id: Option<Uuid>,
    /// With this out_trade_no.
    pub out_trade_no: Option<String>,
    /// With this PSP key.
    pub psp_key: Option<String>,
    /// Only these outcomes (empty: all).
    pub outcomes: Vec<i16>,
    /// first_received_at ≥ this.
    pub from_ms: Option<i64>,
    /// first_received_at < this.
    pub to_ms: Option<i64>,
}

/// One page of inbox records, newest first, after the `(first_received_at_ms, id)` cursor.
pub async fn list(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    f: &InboxFilter,
    after: Option<(i64, Uuid)>,
    limit: u64,
) -> Result<Vec<Notification>, AppError> {
    let mut sql = format!("SELECT {COLUMNS} FROM pay_notifications WHERE tenant = $1");
    let mut values = vec![uuid(tenant.0)];
    let mut push = |sql: &mut String, clause: &str, value: Value| {
        values.push(value);
        sql.push_str(&clause.replace("$?", &format!("${}", values.len())));
    };
    if let Some(id) = f.payment_id {
        push(&mut sql, " AND payment_id = $?", uuid(id));
    }
    if let Some(id) = f.refund_id {
        push(&mut sql, " AND refund_id = $?", uuid(id));
    }
    if let Some(no) = &f.out_trade_no {
        push(&mut sql, " AND out_trade_no = $?", no.clone().into());
    }
    if let Some(key) = &f.psp_key {
        push(&mut sql, " AND psp_key = $?", key.clone().into());
    }
    if let Some(from) = f.from_ms {
        push(&mut sql, " AND first_received_at_ms >= $?", from.into());
    }
    if let Some(to) = f.to_ms {
        push(&mut sql, " AND first_received_at_ms < $?", to.into());
    }
    if let Some((at, id)) = after {
        push(&mut sql, " AND (first_received_at_ms < $?", at.into());
        push(&mut sql, " OR (first_received_at_ms = $?", at.into());
        push(&mut sql, " AND id < $?))", uuid(id));
    }
    if !f.outcomes.is_empty() {
        let list = f
            .outcomes
            .iter()
            .map(i16::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        sql.push_str(&format!(" AND outcome IN ({list})"));
    }
    sql.push_str(&format!(
        " ORDER BY first_received_at_ms DESC, id DESC LIMIT {limit}"
    ));
    let rows: Vec<NotificationRow> = fetch_all(conn, &sql, values).await?;
    rows.into_iter().map(Notification::try_from).collect()
}
