//! `inv_stock`: one row per (SKU, location). Every change is a single conditional statement
//! that returns the row after it (`RETURNING`, on Postgres and SQLite ≥ 3.35), so the hot paths
//! cost one round trip per line and the invariant is checked by the statement itself, never by a
//! read-then-write race.

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use super::{execute, fetch_all, fetch_one, for_update, placeholders, uuid};
use crate::AppError;
use crate::app::domain::StockLevel;

pub mod movements;

const RET: &str = "sku_id, location_id, on_hand, reserved, in_transit, low_threshold, \
    low_alerted, version, updated_at_ms";

/// A row of `inv_stock` selected with [`RET`].
#[derive(Debug, FromQueryResult)]
struct LevelRow {
    sku_id: Uuid,
    location_id: Uuid,
    on_hand: i32,
    reserved: i32,
    in_transit: i32,
    low_threshold: i32,
    low_alerted: bool,
    version: i64,
    updated_at_ms: i64,
}

impl From<LevelRow> for StockLevel {
    fn from(r: LevelRow) -> Self {
        Self {
            sku_id: r.sku_id,
            location_id: r.location_id,
            on_hand: r.on_hand,
            reserved: r.reserved,
            in_transit: r.in_transit,
            low_threshold: r.low_threshold,
            low_alerted: r.low_alerted,
            version: r.version,
            updated_at_ms: r.updated_at_ms,
        }
    }
}

/// The available units of one pair.
#[derive(Debug, FromQueryResult)]
struct AvailableRow {
    a: i32,
}

fn key(tenant: TenantId, sku: Uuid, loc: Uuid) -> [Value; 3] {
    [uuid(tenant.0), uuid(sku), uuid(loc)]
}

async fn one(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Option<StockLevel>, AppError> {
    let row: Option<LevelRow> = fetch_one(conn, sql, values).await?;
    Ok(row.map(StockLevel::from))
}

/// Every level of a query selecting [`RET`] (or the same columns of `inv_stock s`).
async fn all(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<StockLevel>, AppError> {
    let rows: Vec<LevelRow> = fetch_all(conn, sql, values).await?;
    Ok(rows.into_iter().map(StockLevel::from).collect())
}

/// One conditional change of a pair with `$4` = qty: `UPDATE … SET {set} WHERE key AND {cond}
/// RETURNING`; `None` when the condition did not hold (or the row does not exist).
async fn conditional(
    conn: &impl ConnectionTrait,
    [tenant, sku, loc]: [Uuid; 3],
    set: &str,
    cond: &str,
    qty: i32,
    now_ms: i64,
) -> Result<Option<StockLevel>, AppError> {
    let sql = format!(
        "UPDATE inv_stock SET {set}, version = version + 1, updated_at_ms = $5 \
         WHERE tenant = $1 AND sku_id = $2 AND location_id = $3 AND {cond} RETURNING {RET}"
    );
    let mut v = key(TenantId(tenant), sku, loc).to_vec();
    v.extend([qty.into(), now_ms.into()]);
    one(conn, &sql, v).await
}

/// on_hand += qty (receive, return, transfer in), creating the row when needed.
#[tracing::instrument(skip_all, fields(%sku, %loc, qty))]
pub async fn add_on_hand(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    sku: Uuid,
    loc: Uuid,
    qty: i32,
    now_ms: i64,
) -> Result<StockLevel, AppError> {
    let sql = format!(
        "INSERT INTO inv_stock (tenant, sku_id, location_id, on_hand, version, updated_at_ms) \
         VALUES ($1, $2, $3, $4, 1, $5) ON CONFLICT (tenant, sku_id, location_id) DO UPDATE SET \
         on_hand = inv_stock.on_hand + excluded.on_hand, version = inv_stock.version + 1, \
         updated_at_ms = excluded.updated_at_ms RETURNING {RET}"
    );
    let mut v = key(tenant, sku, loc).to_vec();
    v.extend([qty.into(), now_ms.into()]);
    let level = one(conn, &sql, v)
        .await?
        .ok_or_else(|| AppError::Internal("upsert returned no row".into()))?;
    shelf(conn, tenant, &level, qty).await?;
    Ok(level)
}

/// Keeps the storefront read model's `in_stock` in the same transaction: recomputed only when
/// the pair's availability crossed zero (`delta` = how much available changed), so most stock
/// changes cost no extra statement.
async fn shelf(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    level: &StockLevel,
    delta: i32,
) -> Result<(), AppError> {
    let after = level.available();
    if (after > 0) != (after.saturating_sub(delta) > 0) {
        super::storefront::read_model::stock_changed(conn, tenant, level.sku_id, level.location_id)
            .await?;
    }
    Ok(())
}

/// The same after a conditional change that may not have matched.
async fn shelf_some(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    level: Option<StockLevel>,
    delta: i32,
) -> Result<Option<StockLevel>, AppError> {
    if let Some(l) = &level {
        shelf(conn, tenant, l, delta).await?;
    }
    Ok(level)
}

/// reserved += qty if available ≥ qty; `None` when short (or never stocked).
#[tracing::instrument(skip_all, fields(%sku, %loc, qty))]
pub async fn try_reserve(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    sku: Uuid,
    loc: Uuid,
    qty: i32,
    now_ms: i64,
) -> Result<Option<StockLevel>, AppError> {
    let level = conditional(
        conn,
        [tenant.0, sku, loc],
        "reserved = reserved + $4",
        "on_hand - reserved >= $4",
        qty,
        now_ms,
    )
    .await?;
    shelf_some(conn, tenant, level, -qty).await
}

/// on_hand −= qty and reserved −= qty (a confirmed sale); `None` if fewer are reserved.
#[tracing::instrument(skip_all, fields(%sku, %loc, qty))]
pub async fn consume_reserved(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    sku: Uuid,
    loc: Uuid,
    qty: i32,
    now_ms: i64,
) -> Result<Option<StockLevel>, AppError> {
    conditional(
        conn,
        [tenant.0, sku, loc],
        "on_hand = on_hand - $4, reserved = reserved - $4",
        "reserved >= $4",
        qty,
        now_ms,
    )
    .await
}

/// reserved −= qty (release); `None` if fewer are reserved.
#[tracing::instrument(skip_all, fields(%sku, %loc, qty))]
pub async fn unreserve(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    sku: Uuid,
    loc: Uuid,
    qty: i32,
    now_ms: i64,
) -> Result<Option<StockLevel>, AppError> {
    let level = conditional(
        conn,
        [tenant.0, sku, loc],
        "reserved = reserved - $4",
        "reserved >= $4",
        qty,
        now_ms,
    )
    .await?;
    shelf_some(conn, tenant, level, qty).await
}

/// in_transit += qty at a transfer's destination (shipped), creating the row when needed.
#[tracing::instrument(skip_all, fields(%sku, %loc, qty))]
pub async fn add_in_transit(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    sku: Uuid,
    loc: Uuid,
    qty: i32,
    now_ms: i64,
) -> Result<StockLevel, AppError> {
    let sql = format!(
        "INSERT INTO inv_stock (tenant, sku_id, location_id, in_transit, version, updated_at_ms) \
         VALUES ($1, $2, $3, $4, 1, $5) ON CONFLICT (tenant, sku_id, location_id) DO UPDATE SET \
         in_transit = inv_stock.in_transit + excluded.in_transit, \
         version = inv_stock.version + 1, updated_at_ms = excluded.updated_at_ms RETURNING {RET}"
    );
    let mut v = key(tenant, sku, loc).to_vec();
    v.extend([qty.into(), now_ms.into()]);
    one(conn, &sql, v)
        .await?
        .ok_or_else(|| AppError::Internal("upsert returned no row".into()))
}

/// A transfer arrives: in_transit −= shipped, on_hand += received; `None` if fewer are in
/// transit.
#[tracing::instrument(skip_all, fields(%sku, %loc, shipped, received))]
pub async fn arrive(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    sku: Uuid,
    loc: Uuid,
    shipped: i32,
    received: i32,
    now_ms: i64,
) -> Result<Option<StockLevel>, AppError> {
    let sql = format!(
        "UPDATE inv_stock SET in_transit = in_transit - $4, on_hand = on_hand + $6, \
         version = version + 1, updated_at_ms = $5 WHERE tenant = $1 AND sku_id = $2 \
         AND location_id = $3 AND in_transit >= $4 RETURNING {RET}"
    );
    let mut v = key(tenant, sku, loc).to_vec();
    v.extend([shipped.into(), now_ms.into(), received.into()]);
    let level = one(conn, &sql, v).await?;
    shelf_some(conn, tenant, level, received).await
}

/// The row, created empty if missing, locked for the rest of the transaction on Postgres
/// (adjustments read, decide, then write).
#[tracing::instrument(skip_all, fields(%sku, %loc))]
pub async fn lock(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    sku: Uuid,
    loc: Uuid,
    now_ms: i64,
) -> Result<StockLevel, AppError> {
    let mut v = key(tenant, sku, loc).to_vec();
    v.push(now_ms.into());
    execute(
        conn,
        "INSERT INTO inv_stock (tenant, sku_id, location_id, updated_at_ms) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (tenant, sku_id, location_id) DO NOTHING",
        v,
    )
    .await?;
    let sql = format!(
        "SELECT {RET} FROM inv_stock WHERE tenant = $1 AND sku_id = $2 AND location_id = $3{}",
        for_update(conn)
    );
    one(conn, &sql, key(tenant, sku, loc).to_vec())
        .await?
        .ok_or_else(|| AppError::Internal("locked stock row vanished".into()))
}

/// Sets on_hand of a locked row (adjust, sync); the CHECK still guards on_hand ≥ reserved.
pub async fn set_on_hand(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    sku: Uuid,
    loc: Uuid,
    on_hand: i32,
    now_ms: i64,
) -> Result<StockLevel, AppError> {
    let sql = format!(
        "UPDATE inv_stock SET on_hand = $4, version = version + 1, updated_at_ms = $5 \
         WHERE tenant = $1 AND sku_id = $2 AND location_id = $3 RETURNING {RET}"
    );
    let mut v = key(tenant, sku, loc).to_vec();
    v.extend([on_hand.into(), now_ms.into()]);
    let level = one(conn, &sql, v)
        .await?
        .ok_or_else(|| AppError::Internal("stock row vanished".into()))?;
    // The previous on_hand is the caller's: recompute unconditionally (adjust and sync only).
    super::storefront::read_model::stock_changed(conn, tenant, sku, loc).await?;
    Ok(level)
}

/// Flips the low-stock alert flag; `true` when this call changed it (so one caller publishes).
pub async fn set_low_alerted(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    sku: Uuid,
    loc: Uuid,
    alerted: bool,
) -> Result<bool, AppError> {
    let mut v = key(tenant, sku, loc).to_vec();
    v.push(alerted.into());
    let n = execute(
        conn,
        "UPDATE inv_stock SET low_alerted = $4 WHERE tenant = $1 AND sku_id = $2 \
         AND location_id = $3 AND low_alerted <> $4",
        v,
    )
    .await?;
    Ok(n == 1)
}

/// Sets the own threshold of a pair (creating the row), or of every row of the SKU that has
/// none when `loc` is `None`. Returns the rows touched.
pub async fn set_threshold(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    sku: Uuid,
    loc: Option<Uuid>,
    threshold: i32,
    now_ms: i64,
) -> Result<u64, AppError> {
    match loc {
        Some(loc) => {
            let mut v = key(tenant, sku, loc).to_vec();
            v.extend([threshold.into(), now_ms.into()]);
            execute(
                conn,
                "INSERT INTO inv_stock (tenant, sku_id, location_id, low_threshold, updated_at_ms) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant, sku_id, location_id) DO UPDATE \
                 SET low_threshold = excluded.low_threshold",
                v,
            )
            .await
        }
        None => {
            execute(
                conn,
                "UPDATE inv_stock SET low_threshold = $3 WHERE tenant = $1 AND sku_id = $2 \
                 AND low_threshold = 0",
                [uuid(tenant.0), uuid(sku), threshold.into()],
            )
            .await
        }
    }
}

/// Rows of the tenant for `skus` × `locs` (`locs` empty = every location).
#[tracing::instrument(skip_all, fields(skus = skus.len(), locs = locs.len()))]
pub async fn levels(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    skus: &[Uuid],
    locs: &[Uuid],
) -> Result<Vec<StockLevel>, AppError> {
    if skus.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = format!(
        "SELECT {RET} FROM inv_stock WHERE tenant = $1 AND sku_id IN ({})",
        placeholders(2, skus.len())
    );
    let mut v = vec![uuid(tenant.0)];
    v.extend(skus.iter().map(|s| uuid(*s)));
    if !locs.is_empty() {
        sql.push_str(&format!(
            " AND location_id IN ({})",
            placeholders(v.len() + 1, locs.len())
        ));
        v.extend(locs.iter().map(|l| uuid(*l)));
    }
    all(conn, &sql, v).await
}

/// Which pairs `ListStockLevels` walks.
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    /// Every SKU at a location (ordered by SKU).
    Location(Uuid),
    /// A SKU everywhere (ordered by location).
    Sku(Uuid),
}

/// A page of levels; `low_only` compares with the location default via a join.
#[tracing::instrument(skip_all)]
pub async fn list(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    scope: Scope,
    low_only: bool,
    nonzero_only: bool,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<StockLevel>, AppError> {
    let (filter, order, id) = match scope {
        Scope::Location(l) => ("s.location_id", "s.sku_id", l),
        Scope::Sku(s) => ("s.sku_id", "s.location_id", s),
    };
    let mut sql = format!(
        "SELECT s.sku_id, s.location_id, s.on_hand, s.reserved, s.in_transit, s.low_threshold, \
         s.low_alerted, s.version, s.updated_at_ms FROM inv_stock s JOIN inv_locations l \
         ON l.tenant = s.tenant AND l.id = s.location_id WHERE s.tenant = $1 AND {filter} = $2"
    );
    let mut v = vec![uuid(tenant.0), uuid(id)];
    if low_only {
        sql.push_str(
            " AND (CASE WHEN s.low_threshold > 0 THEN s.low_threshold ELSE l.default_low_threshold END) > 0 \
             AND s.on_hand - s.reserved <= (CASE WHEN s.low_threshold > 0 THEN s.low_threshold \
             ELSE l.default_low_threshold END)",
        );
    }
    if nonzero_only {
        sql.push_str(" AND (s.on_hand > 0 OR s.reserved > 0)");
    }
    if let Some(after) = after {
        v.push(uuid(after));
        sql.push_str(&format!(" AND {order} > $3"));
    }
    sql.push_str(&format!(" ORDER BY {order} LIMIT {limit}"));
    all(conn, &sql, v).await
}

/// Available units of one pair (0 when never stocked), for error metadata.
pub async fn available(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    sku: Uuid,
    loc: Uuid,
) -> Result<i32, AppError> {
    let row: Option<AvailableRow> = fetch_one(
        conn,
        "SELECT on_hand - reserved AS a FROM inv_stock WHERE tenant = $1 AND sku_id = $2 \
         AND location_id = $3",
        key(tenant, sku, loc).to_vec(),
    )
    .await?;
    Ok(row.map_or(0, |r| r.a))
}
