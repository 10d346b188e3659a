//! `mem_coupon_locks` (one row per order: the coupons LockCoupons took and what became of
//! them) and `mem_coupon_restores` (RestoreCoupons' business key). A lock is inserted before
//! any coupon is touched, so concurrent locks of one order meet on its row; every later step
//! locks the row and moves it with one conditional update.

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::domain::{CouponId, MemberId};
use crate::repo::{execute, fetch_one, for_update, from_json, to_json, uuid};

/// What became of an order's coupons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockStatus {
    /// Locked for the pending order.
    Locked = 1,
    /// Used by the paid order.
    Used = 2,
    /// Released (cancel, timeout, saga failure).
    Released = 3,
}

/// An order's lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLock {
    /// The member.
    pub member_id: MemberId,
    /// The coupons, sorted.
    pub coupon_ids: Vec<CouponId>,
    /// The state.
    pub status: LockStatus,
    /// 1, then + 1 per revival.
    pub attempt: i32,
}

#[derive(Debug, FromQueryResult)]
struct LockRow {
    member_id: Uuid,
    coupon_ids: String,
    status: i16,
    attempt: i32,
}

/// Claims the lock of `order` for `member` and `coupons`: `true` when this call inserted it,
/// `false` when the order has one (a concurrent insert waits here until the first commits).
pub async fn claim(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order: Uuid,
    member: MemberId,
    coupons: &[CouponId],
    now_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "INSERT INTO mem_coupon_locks (tenant, order_id, member_id, coupon_ids, status, attempt, \
         updated_at_ms) VALUES ($1, $2, $3, $4, 1, 1, $5) ON CONFLICT (tenant, order_id) DO NOTHING",
        [
            uuid(tenant.0),
            uuid(order),
            uuid(member.0),
            to_json(&coupons)?,
            now_ms.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// The lock of `order`, locked (Postgres).
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order: Uuid,
) -> Result<Option<OrderLock>, AppError> {
    let sql = format!(
        "SELECT member_id, coupon_ids, status, attempt FROM mem_coupon_locks \
         WHERE tenant = $1 AND order_id = $2{}",
        for_update(conn)
    );
    let row: Option<LockRow> = fetch_one(conn, &sql, [uuid(tenant.0), uuid(order)]).await?;
    row.map(|r| {
        Ok(OrderLock {
            member_id: MemberId(r.member_id),
            coupon_ids: from_json("coupon_ids", &r.coupon_ids)?,
            status: match r.status {
                1 => LockStatus::Locked,
                2 => LockStatus::Used,
                3 => LockStatus::Released,
                n => return Err(AppError::Internal(format!("coupon lock status {n}"))),
            },
            attempt: r.attempt,
        })
    })
    .transpose()
}

/// Moves the lock of `order` from `from` to `to` (a revival also counts the attempt); `false`
/// when it was not in `from`.
pub async fn set_status(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order: Uuid,
    (from, to): (LockStatus, LockStatus),
    reason: &str,
    now_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE mem_coupon_locks SET status = $4, reason = $5, updated_at_ms = $6, \
         attempt = attempt + CASE WHEN $3 = 3 AND $4 = 1 THEN 1 ELSE 0 END \
         WHERE tenant = $1 AND order_id = $2 AND status = $3",
        [
            uuid(tenant.0),
            uuid(order),
            Value::SmallInt(Some(from as i16)),
            Value::SmallInt(Some(to as i16)),
            reason.into(),
            now_ms.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// Claims RestoreCoupons' key `(order, refund)`: `None` when this call inserted it, else the
/// coupons the first restore gave back.
pub async fn claim_restore(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    (order, refund): (Uuid, Uuid),
    now_ms: i64,
) -> Result<Option<Vec<CouponId>>, AppError> {
    let n = execute(
        conn,
        "INSERT INTO mem_coupon_restores (tenant, order_id, refund_id, coupon_ids, created_at_ms) \
         VALUES ($1, $2, $3, '[]', $4) ON CONFLICT (tenant, order_id, refund_id) DO NOTHING",
        [uuid(tenant.0), uuid(order), uuid(refund), now_ms.into()],
    )
    .await?;
    if n == 1 {
        return Ok(None);
    }
    #[derive(FromQueryResult)]
    struct Row {
        coupon_ids: String,
    }
    let row: Option<Row> = fetch_one(
        conn,
        "SELECT coupon_ids FROM mem_coupon_restores WHERE tenant = $1 AND order_id = $2 \
         AND refund_id = $3",
        [uuid(tenant.0), uuid(order), uuid(refund)],
    )
    .await?;
    let row = row.ok_or_else(|| AppError::Internal("restore key vanished".into()))?;
    from_json("coupon_ids", &row.coupon_ids).map(Some)
}

/// Records what the restore `(order, refund)` gave back.
pub async fn record_restore(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    (order, refund): (Uuid, Uuid),
    coupons: &[CouponId],
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE mem_coupon_restores SET coupon_ids = $4 WHERE tenant = $1 AND order_id = $2 \
         AND refund_id = $3",
        [
            uuid(tenant.0),
            uuid(order),
            uuid(refund),
            to_json(&coupons)?,
        ],
    )
    .await
    .map(|_| ())
}
