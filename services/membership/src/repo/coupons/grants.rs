//! `mem_coupon_grants`: a grant's business key (GrantCoupons' `grant_key`, an event pack's key)
//! with what it did, and the progress of bulk grants to a segment. The key is inserted first: a
//! concurrent grant with the same key waits on the unique index, then finds the first one.
//!
//! A bulk grant's row is also its job's lock: every batch locks it (`FOR UPDATE`; SQLite's
//! writer holds the database), reads the cursor, serves the next members of
//! `mem_coupon_grant_members` after it and moves the cursor in the same transaction.

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::domain::{CouponGrant, GrantStatus, MemberId, Skipped};
use crate::repo::segments::Compiled;
use crate::repo::{execute, fetch_all, fetch_one, for_update, from_json, stored, to_json, uuid};

const COLUMNS: &str = "id, fingerprint, target_count, issued_count, skipped, created_at_ms, \
    status, processed_count, skipped_count, error_message, finished_at_ms";

#[derive(Debug, FromQueryResult)]
struct GrantRow {
    id: Uuid,
    fingerprint: String,
    target_count: i32,
    issued_count: i32,
    skipped: String,
    created_at_ms: i64,
    status: i16,
    processed_count: i32,
    skipped_count: i32,
    error_message: String,
    finished_at_ms: Option<i64>,
}

impl GrantRow {
    fn into_grant(self) -> Result<(CouponGrant, String), AppError> {
        Ok((
            CouponGrant {
                id: self.id,
                target_count: self.target_count,
                issued_count: self.issued_count,
                skipped: from_json("skipped", &self.skipped)?,
                created_at_ms: self.created_at_ms,
                status: stored(self.status)?,
                processed_count: self.processed_count,
                skipped_count: self.skipped_count,
                error_message: self.error_message,
                finished_at_ms: self.finished_at_ms,
            },
            self.fingerprint,
        ))
    }
}

/// Claims `key` for a new grant `id`: `None` when this call inserted it, else the grant the
/// key recorded with its fingerprint.
pub async fn claim(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    (key, fingerprint): (&str, &str),
    id: Uuid,
    now_ms: i64,
) -> Result<Option<(CouponGrant, String)>, AppError> {
    let n = execute(
        conn,
        "INSERT INTO mem_coupon_grants (tenant, id, grant_key, fingerprint, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant, grant_key) DO NOTHING",
        [
            uuid(tenant.0),
            uuid(id),
            key.into(),
            fingerprint.into(),
            now_ms.into(),
        ],
    )
    .await?;
    if n == 1 {
        return Ok(None);
    }
    let row: Option<GrantRow> = fetch_one(
        conn,
        &format!("SELECT {COLUMNS} FROM mem_coupon_grants WHERE tenant = $1 AND grant_key = $2"),
        [uuid(tenant.0), key.into()],
    )
    .await?;
    row.ok_or_else(|| AppError::Internal("grant key vanished".into()))?
        .into_grant()
        .map(Some)
}

/// Records what grant `id` did in its call (COMPLETED).
pub async fn finish(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    (target, issued): (i32, i32),
    skipped: &[Skipped],
    now_ms: i64,
) -> Result<(), AppError> {
    let n = i32::try_from(skipped.len()).unwrap_or(i32::MAX);
    execute(
        conn,
        "UPDATE mem_coupon_grants SET target_count = $3, issued_count = $4, skipped = $5, \
         processed_count = $3, skipped_count = $6, status = 2, finished_at_ms = $7 \
         WHERE tenant = $1 AND id = $2",
        [
            uuid(tenant.0),
            uuid(id),
            target.into(),
            issued.into(),
            to_json(&skipped)?,
            n.into(),
            now_ms.into(),
        ],
    )
    .await
    .map(|_| ())
}

/// A grant of the tenant by id.
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<CouponGrant>, AppError> {
    let row: Option<GrantRow> = fetch_one(
        conn,
        &format!("SELECT {COLUMNS} FROM mem_coupon_grants WHERE tenant = $1 AND id = $2"),
        [uuid(tenant.0), uuid(id)],
    )
    .await?;
    row.map(|r| r.into_grant().map(|(g, _)| g)).transpose()
}

/// Marks the just-claimed grant `id` a bulk grant to `segment` of `spec` (RUNNING).
pub async fn start_bulk(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    segment: Uuid,
    spec: &str,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE mem_coupon_grants SET status = 1, segment_id = $3, spec = $4, \
         finished_at_ms = NULL WHERE tenant = $1 AND id = $2",
        [uuid(tenant.0), uuid(id), uuid(segment), spec.into()],
    )
    .await
    .map(|_| ())
}

/// A bulk grant's job state, read under its lock.
#[derive(Debug, Clone, FromQueryResult)]
pub struct BulkState {
    /// RUNNING, COMPLETED or FAILED.
    pub status: i16,
    /// The segment.
    pub segment_id: Option<Uuid>,
    /// What each member gets and how it was issued (JSON the app wrote).
    pub spec: String,
    /// When the segment's members were taken; `None` before.
    pub snapshot_at_ms: Option<i64>,
    /// The last member served.
    pub cursor_member_id: Option<Uuid>,
}

impl BulkState {
    /// Whether the job still has work.
    pub fn running(&self) -> bool {
        GrantStatus::try_from(self.status) == Ok(GrantStatus::Running)
    }
}

/// Locks bulk grant `id` (Postgres; SQLite's writer holds the database) and reads its state.
pub async fn lock_bulk(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<BulkState>, AppError> {
    fetch_one(
        conn,
        &format!(
            "SELECT status, segment_id, spec, snapshot_at_ms, cursor_member_id \
             FROM mem_coupon_grants WHERE tenant = $1 AND id = $2{}",
            for_update(conn)
        ),
        [uuid(tenant.0), uuid(id)],
    )
    .await
}

/// Takes the members `c` matches now as grant `id`'s targets (one statement, in id order);
/// answers how many.
pub async fn snapshot(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    c: &Compiled,
    now_ms: i64,
) -> Result<i32, AppError> {
    let mut values = c.values.clone();
    values.push(uuid(id));
    let n = execute(
        conn,
        &format!(
            "INSERT INTO mem_coupon_grant_members (tenant, grant_id, member_id) \
             SELECT m.tenant, ${}, m.id {} ORDER BY m.id",
            c.next(),
            c.from_where
        ),
        values,
    )
    .await?;
    let n = i32::try_from(n).unwrap_or(i32::MAX);
    execute(
        conn,
        "UPDATE mem_coupon_grants SET target_count = $3, snapshot_at_ms = $4 \
         WHERE tenant = $1 AND id = $2",
        [uuid(tenant.0), uuid(id), n.into(), now_ms.into()],
    )
    .await?;
    Ok(n)
}

#[derive(Debug, FromQueryResult)]
struct MemberRow {
    member_id: Uuid,
}

/// Up to `limit` of grant `id`'s members after `after`, by ascending id.
pub async fn next_members(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<MemberId>, AppError> {
    let mut values: Vec<Value> = vec![uuid(tenant.0), uuid(id)];
    let mut sql = "SELECT member_id FROM mem_coupon_grant_members \
                   WHERE tenant = $1 AND grant_id = $2"
        .to_owned();
    if let Some(a) = after {
        sql.push_str(" AND member_id > $3");
        values.push(uuid(a));
    }
    sql.push_str(&format!(" ORDER BY member_id LIMIT {limit}"));
    let rows: Vec<MemberRow> = fetch_all(conn, &sql, values).await?;
    Ok(rows.into_iter().map(|r| MemberId(r.member_id)).collect())
}

/// What one batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchDone {
    /// Members served.
    pub processed: i32,
    /// Coupons issued.
    pub issued: i32,
    /// Members skipped.
    pub skipped: i32,
}

/// Adds a batch's counts to grant `id` and moves its cursor to `last`.
pub async fn advance(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    last: MemberId,
    d: BatchDone,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE mem_coupon_grants SET cursor_member_id = $3, \
         processed_count = processed_count + $4, issued_count = issued_count + $5, \
         skipped_count = skipped_count + $6 WHERE tenant = $1 AND id = $2",
        [
            uuid(tenant.0),
            uuid(id),
            uuid(last.0),
            d.processed.into(),
            d.issued.into(),
            d.skipped.into(),
        ],
    )
    .await
    .map(|_| ())
}

/// Ends bulk grant `id` as `status` (COMPLETED, or FAILED with `error`).
pub async fn end_bulk(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    status: GrantStatus,
    error: &str,
    now_ms: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE mem_coupon_grants SET status = $3, error_message = $4, finished_at_ms = $5 \
         WHERE tenant = $1 AND id = $2 AND status = 1",
        [
            uuid(tenant.0),
            uuid(id),
            Value::SmallInt(Some(status.number())),
            error.into(),
            now_ms.into(),
        ],
    )
    .await
    .map(|_| ())
}
