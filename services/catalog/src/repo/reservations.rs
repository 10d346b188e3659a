//! Reservations. `inv_order_reservations` maps an order to its current reservation and is the
//! idempotency anchor: the first ReserveStock of an order inserts it, a concurrent second one
//! blocks on that key (Postgres) or waits for the write lock (SQLite) and then sees it.

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use super::{Id, execute, fetch_all, fetch_one, for_update, stored, uuid};
use crate::AppError;
use crate::app::domain::{Reservation, ReservationLine, ReservationStatus};

/// Claims `order_id` for `reservation_id`; `false` when the order already has one.
pub async fn claim_order(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order_id: Uuid,
    reservation_id: Uuid,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "INSERT INTO inv_order_reservations (tenant, order_id, reservation_id) VALUES ($1, $2, $3) \
         ON CONFLICT (tenant, order_id) DO NOTHING",
        [uuid(tenant.0), uuid(order_id), uuid(reservation_id)],
    )
    .await?;
    Ok(n == 1)
}

/// Points the order at a new reservation if it still points at `old` (revival).
pub async fn repoint_order(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order_id: Uuid,
    old: Uuid,
    new: Uuid,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE inv_order_reservations SET reservation_id = $4 WHERE tenant = $1 \
         AND order_id = $2 AND reservation_id = $3",
        [uuid(tenant.0), uuid(order_id), uuid(old), uuid(new)],
    )
    .await?;
    Ok(n == 1)
}

/// Inserts a HELD reservation and its lines (one statement each).
#[tracing::instrument(skip_all, fields(reservation_id = %r.id))]
pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    r: &Reservation,
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO inv_reservations (id, tenant, order_id, status, expires_at_ms, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        [
            uuid(r.id),
            uuid(tenant.0),
            uuid(r.order_id),
            Value::SmallInt(Some(r.status as i16)),
            r.expires_at_ms.into(),
            r.created_at_ms.into(),
        ],
    )
    .await?;
    let mut rows = Vec::new();
    let mut v: Vec<Value> = Vec::new();
    for l in &r.lines {
        let i = v.len();
        rows.push(format!(
            "(${}, ${}, ${}, ${}, ${})",
            i + 1,
            i + 2,
            i + 3,
            i + 4,
            i + 5
        ));
        v.extend([
            uuid(r.id),
            uuid(tenant.0),
            uuid(l.sku_id),
            uuid(l.location_id),
            l.quantity.into(),
        ]);
    }
    let sql = format!(
        "INSERT INTO inv_reservation_lines (reservation_id, tenant, sku_id, location_id, quantity) \
         VALUES {}",
        rows.join(", ")
    );
    execute(conn, &sql, v).await.map(|_| ())
}

/// The order's current reservation, with its lines; locked on Postgres when `lock`.
#[tracing::instrument(skip_all, fields(%order_id))]
pub async fn by_order(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order_id: Uuid,
    lock: bool,
) -> Result<Option<Reservation>, AppError> {
    let sql = format!(
        "SELECT r.id, r.order_id, r.status, r.expires_at_ms, r.created_at_ms, r.closed_at_ms, \
         r.release_reason FROM inv_order_reservations o JOIN inv_reservations r \
         ON r.id = o.reservation_id WHERE o.tenant = $1 AND o.order_id = $2{}",
        if lock { for_update(conn) } else { "" }
    );
    let Some(row) =
        fetch_one::<ReservationRow>(conn, &sql, [uuid(tenant.0), uuid(order_id)]).await?
    else {
        return Ok(None);
    };
    let mut r = Reservation::try_from(row)?;
    r.lines = lines(conn, r.id).await?;
    Ok(Some(r))
}

/// A reservation by id (the expiry job), with its lines.
pub async fn by_id(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<(TenantId, Reservation)>, AppError> {
    let Some(row) = fetch_one::<TenantReservationRow>(
        conn,
        "SELECT id, tenant, order_id, status, expires_at_ms, created_at_ms, closed_at_ms, \
         release_reason FROM inv_reservations WHERE id = $1",
        [uuid(id)],
    )
    .await?
    else {
        return Ok(None);
    };
    let tenant = TenantId(row.tenant);
    let mut r = Reservation::try_from(row.reservation)?;
    r.lines = lines(conn, r.id).await?;
    Ok(Some((tenant, r)))
}

/// A row of `inv_reservations` (without its lines).
#[derive(Debug, FromQueryResult)]
struct ReservationRow {
    id: Uuid,
    order_id: Uuid,
    status: i16,
    expires_at_ms: i64,
    created_at_ms: i64,
    closed_at_ms: Option<i64>,
    release_reason: String,
}

/// A reservation row with its tenant (the expiry job reads across tenants).
#[derive(Debug, FromQueryResult)]
struct TenantReservationRow {
    tenant: Uuid,
    #[sea_orm(nested)]
    reservation: ReservationRow,
}

impl TryFrom<ReservationRow> for Reservation {
    type Error = AppError;

    fn try_from(r: ReservationRow) -> Result<Self, AppError> {
        Ok(Self {
            id: r.id,
            order_id: r.order_id,
            status: stored(r.status)?,
            lines: Vec::new(),
            expires_at_ms: r.expires_at_ms,
            created_at_ms: r.created_at_ms,
            closed_at_ms: r.closed_at_ms,
            release_reason: r.release_reason,
        })
    }
}

/// A row of `inv_reservation_lines`.
#[derive(Debug, FromQueryResult)]
struct LineRow {
    sku_id: Uuid,
    location_id: Uuid,
    quantity: i32,
}

async fn lines(conn: &impl ConnectionTrait, id: Uuid) -> Result<Vec<ReservationLine>, AppError> {
    let rows: Vec<LineRow> = fetch_all(
        conn,
        "SELECT sku_id, location_id, quantity FROM inv_reservation_lines WHERE reservation_id = $1 \
         ORDER BY sku_id",
        [uuid(id)],
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ReservationLine {
            sku_id: r.sku_id,
            quantity: r.quantity,
            location_id: r.location_id,
        })
        .collect())
}

/// HELD → `to`, only if still HELD: the single statement that makes confirm, release and
/// expiry exactly-once (a concurrent second caller's UPDATE re-checks the status after the
/// first commits and matches nothing).
pub async fn close_if_held(
    conn: &impl ConnectionTrait,
    id: Uuid,
    to: ReservationStatus,
    reason: &str,
    now_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE inv_reservations SET status = $2, closed_at_ms = $3, release_reason = $4 \
         WHERE id = $1 AND status = $5",
        [
            uuid(id),
            Value::SmallInt(Some(to as i16)),
            now_ms.into(),
            reason.into(),
            Value::SmallInt(Some(ReservationStatus::Held as i16)),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// Ids of HELD reservations due at `now_ms` (all tenants), oldest first; on Postgres rows other
/// runners hold are skipped.
pub async fn due(
    conn: &impl ConnectionTrait,
    now_ms: i64,
    limit: u64,
) -> Result<Vec<Uuid>, AppError> {
    let skip = match conn.get_database_backend() {
        sea_orm::DbBackend::Postgres => " FOR UPDATE SKIP LOCKED",
        _ => "",
    };
    let sql = format!(
        "SELECT id FROM inv_reservations WHERE status = $1 AND expires_at_ms <= $2 \
         ORDER BY expires_at_ms LIMIT {limit}{skip}"
    );
    let held = Value::SmallInt(Some(ReservationStatus::Held as i16));
    let rows: Vec<Id> = fetch_all(conn, &sql, [held, now_ms.into()]).await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Counts a restock against a sold line; `false` when it would exceed what was sold.
pub async fn add_restocked(
    conn: &impl ConnectionTrait,
    reservation_id: Uuid,
    sku: Uuid,
    qty: i32,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE inv_reservation_lines SET restocked = restocked + $3 WHERE reservation_id = $1 \
         AND sku_id = $2 AND restocked + $3 <= quantity",
        [uuid(reservation_id), uuid(sku), qty.into()],
    )
    .await?;
    Ok(n == 1)
}

/// Claims `(order, refund)` for a restock; `false` when it was done before.
pub async fn claim_restock(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order_id: Uuid,
    refund_id: &str,
    now_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "INSERT INTO inv_restocks (tenant, order_id, refund_id, created_at_ms) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (tenant, order_id, refund_id) DO NOTHING",
        [uuid(tenant.0), uuid(order_id), refund_id.into(), now_ms.into()],
    )
    .await?;
    Ok(n == 1)
}

/// Claims `(location, reference)` for a receipt; `false` when it was received before.
pub async fn claim_receipt(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    location_id: Uuid,
    reference: &str,
    now_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "INSERT INTO inv_receipts (tenant, location_id, reference, created_at_ms) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (tenant, location_id, reference) DO NOTHING",
        [uuid(tenant.0), uuid(location_id), reference.into(), now_ms.into()],
    )
    .await?;
    Ok(n == 1)
}
