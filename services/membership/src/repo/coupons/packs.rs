//! `mem_coupon_packs`: packs with their items as JSON; one enabled pack per trigger (a partial
//! unique index: a second one is a unique violation the app reports as PACK_TRIGGER_TAKEN).

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::domain::{CouponPack, MemberId, PackTrigger};
use crate::repo::{fetch_all, fetch_one, for_update, from_json, stored, uuid};

const COLUMNS: &str = "id, name, items, pack_trigger, enabled";

#[derive(Debug, FromQueryResult)]
struct PackRow {
    id: Uuid,
    name: String,
    items: String,
    pack_trigger: i16,
    enabled: bool,
}

impl TryFrom<PackRow> for CouponPack {
    type Error = AppError;

    fn try_from(r: PackRow) -> Result<Self, AppError> {
        Ok(Self {
            id: r.id,
            name: r.name,
            items: from_json("items", &r.items)?,
            trigger: stored(r.pack_trigger)?,
            enabled: r.enabled,
        })
    }
}

/// Writes `p` whole; a unique violation (the trigger is taken) is returned as the `DbErr`.
pub async fn save(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    p: &CouponPack,
    now_ms: i64,
) -> Result<(), sea_orm::DbErr> {
    let items = serde_json::to_string(&p.items)
        .map_err(|e| sea_orm::DbErr::Custom(format!("items: {e}")))?;
    conn.execute_raw(crate::repo::stmt(
        conn,
        "INSERT INTO mem_coupon_packs (tenant, id, name, items, pack_trigger, enabled, \
         created_at_ms, updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
         ON CONFLICT (tenant, id) DO UPDATE SET name = excluded.name, items = excluded.items, \
         pack_trigger = excluded.pack_trigger, enabled = excluded.enabled, \
         updated_at_ms = excluded.updated_at_ms",
        [
            uuid(tenant.0),
            uuid(p.id),
            p.name.clone().into(),
            items.into(),
            Value::SmallInt(Some(p.trigger.number())),
            p.enabled.into(),
            now_ms.into(),
        ],
    ))
    .await
    .map(|_| ())
}

/// A pack of the tenant; locked (Postgres) when `lock`.
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    lock: bool,
) -> Result<Option<CouponPack>, AppError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM mem_coupon_packs WHERE tenant = $1 AND id = $2{}",
        if lock { for_update(conn) } else { "" }
    );
    let row: Option<PackRow> = fetch_one(conn, &sql, [uuid(tenant.0), uuid(id)]).await?;
    row.map(CouponPack::try_from).transpose()
}

/// The enabled pack of `trigger`, if any.
pub async fn of_trigger(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    trigger: PackTrigger,
) -> Result<Option<CouponPack>, AppError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM mem_coupon_packs WHERE tenant = $1 AND pack_trigger = $2 AND enabled"
    );
    let row: Option<PackRow> = fetch_one(
        conn,
        &sql,
        [uuid(tenant.0), Value::SmallInt(Some(trigger.number()))],
    )
    .await?;
    row.map(CouponPack::try_from).transpose()
}

/// Packs by id, newest first, after `after`.
pub async fn list(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<CouponPack>, AppError> {
    let mut values = vec![uuid(tenant.0)];
    let mut sql = format!("SELECT {COLUMNS} FROM mem_coupon_packs WHERE tenant = $1");
    if let Some(a) = after {
        sql.push_str(" AND id < $2");
        values.push(uuid(a));
    }
    sql.push_str(&format!(" ORDER BY id DESC LIMIT {limit}"));
    let rows: Vec<PackRow> = fetch_all(conn, &sql, values).await?;
    rows.into_iter().map(CouponPack::try_from).collect()
}

/// How many paid orders `member` has besides `order` (the first-order pack's test).
pub async fn paid_orders_besides(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    order: Uuid,
) -> Result<i64, AppError> {
    crate::repo::total(
        conn,
        "SELECT COUNT(*) AS n FROM mem_order_earnings WHERE tenant = $1 AND member_id = $2 \
         AND paid AND order_id <> $3",
        [uuid(tenant.0), uuid(member.0), uuid(order)],
    )
    .await
}
