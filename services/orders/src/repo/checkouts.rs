//! `ord_checkouts`: the checkout record per idempotency key (see `app::checkout::record`).

use sea_orm::{ConnectionTrait, FromQueryResult};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::checkout::record::{CheckoutRecord, CheckoutState, Claim, Taken};
use crate::repo::{execute, fetch_all, fetch_one, for_update, from_json, stored, to_json, uuid};

const COLUMNS: &str =
    "idempotency_key, request_hash, user_id, order_id, state, taken, failure, started_at_ms";

#[derive(Debug, FromQueryResult)]
struct CheckoutRow {
    idempotency_key: String,
    request_hash: String,
    user_id: Uuid,
    order_id: Uuid,
    state: i16,
    taken: String,
    failure: String,
    started_at_ms: i64,
}

impl TryFrom<CheckoutRow> for CheckoutRecord {
    type Error = AppError;

    fn try_from(r: CheckoutRow) -> Result<Self, AppError> {
        Ok(Self {
            key: r.idempotency_key,
            request_hash: r.request_hash,
            user_id: r.user_id,
            order_id: r.order_id,
            state: stored(r.state)?,
            taken: from_json::<Taken>("ord_checkouts", &r.taken)?,
            failure: r.failure,
            started_at_ms: r.started_at_ms,
        })
    }
}

/// Claims `key` for a checkout of `order_id`: a new key, or one whose last attempt failed
/// (it starts over with `order_id`), runs; a created one answers its order; a running one is
/// in progress. A key with another request's hash is refused.
pub async fn claim(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    key: &str,
    request_hash: &str,
    user_id: Uuid,
    order_id: Uuid,
    now_ms: i64,
) -> Result<Claim, AppError> {
    let inserted = execute(
        conn,
        "INSERT INTO ord_checkouts (tenant, idempotency_key, request_hash, user_id, order_id,
             state, started_at_ms, updated_at_ms)
         VALUES ($1, $2, $3, $4, $5, 1, $6, $6) ON CONFLICT DO NOTHING",
        [
            uuid(tenant.0),
            key.into(),
            request_hash.into(),
            uuid(user_id),
            uuid(order_id),
            now_ms.into(),
        ],
    )
    .await?;
    let Some(found) = get(conn, tenant, key, true).await? else {
        return Err(AppError::Internal("checkout record vanished".into()));
    };
    if found.request_hash != request_hash || found.user_id != user_id {
        return Err(AppError::IdempotencyKeyReused);
    }
    if inserted == 1 {
        return Ok(Claim::Run(found));
    }
    match found.state {
        CheckoutState::Created => Ok(Claim::Created(found)),
        CheckoutState::Running => Ok(Claim::InProgress),
        CheckoutState::Failed => {
            // Starts over only if no concurrent retry restarted it first.
            let restarted = execute(
                conn,
                "UPDATE ord_checkouts SET order_id = $3, state = 1, taken = '{}', failure = '',
                     started_at_ms = $4, updated_at_ms = $4
                 WHERE tenant = $1 AND idempotency_key = $2 AND state = 3 AND order_id = $5",
                [
                    uuid(tenant.0),
                    key.into(),
                    uuid(order_id),
                    now_ms.into(),
                    uuid(found.order_id),
                ],
            )
            .await?;
            if restarted == 1 {
                Ok(Claim::Run(CheckoutRecord {
                    order_id,
                    state: CheckoutState::Running,
                    taken: Taken::default(),
                    failure: String::new(),
                    started_at_ms: now_ms,
                    ..found
                }))
            } else {
                Ok(Claim::InProgress)
            }
        }
    }
}

/// The record of `key`, locked for update when `lock`.
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    key: &str,
    lock: bool,
) -> Result<Option<CheckoutRecord>, AppError> {
    let lock = if lock { for_update(conn) } else { "" };
    let row: Option<CheckoutRow> = fetch_one(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM ord_checkouts WHERE tenant = $1 AND idempotency_key = $2{lock}"
        ),
        [uuid(tenant.0), key.into()],
    )
    .await?;
    row.map(CheckoutRecord::try_from).transpose()
}

/// Records what the running attempt for `order_id` may hold.
pub async fn set_taken(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order_id: Uuid,
    taken: Taken,
    now_ms: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE ord_checkouts SET taken = $3, updated_at_ms = $4
         WHERE tenant = $1 AND order_id = $2 AND state = 1",
        [
            uuid(tenant.0),
            uuid(order_id),
            to_json(&taken)?,
            now_ms.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Ends the running attempt for `order_id` in `state` (with `failure` when it failed).
/// Answers false when it was not running any more (the recovery ended it first).
pub async fn finish(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order_id: Uuid,
    state: CheckoutState,
    failure: &str,
    now_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE ord_checkouts SET state = $3, failure = $4, updated_at_ms = $5
         WHERE tenant = $1 AND order_id = $2 AND state = 1",
        [
            uuid(tenant.0),
            uuid(order_id),
            state.number().into(),
            failure.into(),
            now_ms.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// A running attempt of any tenant, not touched since `before_ms` (its process died), with
/// its tenant.
#[derive(Debug, FromQueryResult)]
struct StaleRow {
    tenant: Uuid,
    order_id: Uuid,
    taken: String,
}

/// Running attempts not touched since `before_ms`, oldest first: the recovery's work list.
pub async fn stale(
    conn: &impl ConnectionTrait,
    before_ms: i64,
    limit: i64,
) -> Result<Vec<(TenantId, Uuid, Taken)>, AppError> {
    let rows: Vec<StaleRow> = fetch_all(
        conn,
        "SELECT tenant, order_id, taken FROM ord_checkouts
         WHERE state = 1 AND updated_at_ms < $1 ORDER BY updated_at_ms LIMIT $2",
        [before_ms.into(), limit.into()],
    )
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok((
                TenantId(r.tenant),
                r.order_id,
                from_json::<Taken>("ord_checkouts", &r.taken)?,
            ))
        })
        .collect()
}

#[derive(Debug, FromQueryResult)]
struct TakenRow {
    taken: String,
}

/// What the checkout of `order_id` recorded as taken (`None`: no checkout made the order).
pub async fn taken_of_order(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order_id: Uuid,
) -> Result<Option<Taken>, AppError> {
    let row: Option<TakenRow> = fetch_one(
        conn,
        "SELECT taken FROM ord_checkouts WHERE tenant = $1 AND order_id = $2",
        [uuid(tenant.0), uuid(order_id)],
    )
    .await?;
    row.map(|r| Ok(from_json::<Taken>("ord_checkouts", &r.taken)?))
        .transpose()
}
