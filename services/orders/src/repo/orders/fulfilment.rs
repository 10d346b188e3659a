//! Fulfilment writes on `ord_orders` (shipment, pickup, completion, settlement), the work lists
//! of auto-completion and settlement, and the staff's list of store orders.

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use super::{COLUMNS, OrderRow, with_details};
use crate::AppError;
use crate::app::orders::fulfilment::{Pickup, Shipment};
use crate::app::orders::model::Order;
use crate::app::orders::status::OrderStatus;
use crate::repo::{execute, fetch_all, fetch_one, placeholders, to_json, uuid};

/// Moves the order from `from` to SHIPPED (or keeps it SHIPPED for a correction) with
/// `shipment` and the auto-completion time; false when it was not in `from`.
pub async fn set_shipped(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    from: OrderStatus,
    shipment: &Shipment,
    auto_complete_at_ms: i64,
    now_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE ord_orders SET status = $4, shipment = $5, auto_complete_at_ms = $6,
             version = version + 1, updated_at_ms = $7
         WHERE tenant = $1 AND id = $2 AND status = $3",
        [
            uuid(tenant.0),
            uuid(id),
            from.number().into(),
            OrderStatus::Shipped.number().into(),
            to_json(shipment)?,
            auto_complete_at_ms.into(),
            now_ms.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// Whether `code` is taken by an open pickup order of the tenant.
pub async fn pickup_code_taken(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    code: &str,
) -> Result<bool, AppError> {
    #[derive(Debug, FromQueryResult)]
    struct Hit {
        #[allow(dead_code, reason = "only its presence counts")]
        id: Uuid,
    }
    let hit: Option<Hit> = fetch_one(
        conn,
        "SELECT id FROM ord_orders WHERE tenant = $1 AND pickup_code = $2 AND status = $3",
        [
            uuid(tenant.0),
            code.into(),
            OrderStatus::ReadyForPickup.number().into(),
        ],
    )
    .await?;
    Ok(hit.is_some())
}

/// Moves the order from `from` to READY_FOR_PICKUP with `code` and `pickup`; false when it was
/// not in `from`. (The caller checked the code is free; the unique index refuses a code that
/// another order took meanwhile, failing the transaction.)
pub async fn set_ready(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    from: OrderStatus,
    code: &str,
    pickup: &Pickup,
    now_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE ord_orders SET status = $4, pickup_code = $5, pickup = $6,
             version = version + 1, updated_at_ms = $7
         WHERE tenant = $1 AND id = $2 AND status = $3",
        [
            uuid(tenant.0),
            uuid(id),
            from.number().into(),
            OrderStatus::ReadyForPickup.number().into(),
            code.into(),
            to_json(pickup)?,
            now_ms.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// Moves the order from `from` to COMPLETED at `now_ms` with its after-sales deadline (and the
/// pickup as verified, for a pickup order); false when it was not in `from`.
pub async fn set_completed(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    from: OrderStatus,
    after_sale_deadline_ms: i64,
    pickup: Option<&Pickup>,
    now_ms: i64,
) -> Result<bool, AppError> {
    let pickup = match pickup {
        Some(p) => to_json(p)?,
        None => Value::String(None),
    };
    let n = execute(
        conn,
        "UPDATE ord_orders SET status = $4, completed_at_ms = $5, after_sale_deadline_ms = $6,
             pickup = COALESCE($7, pickup), version = version + 1, updated_at_ms = $5
         WHERE tenant = $1 AND id = $2 AND status = $3",
        [
            uuid(tenant.0),
            uuid(id),
            from.number().into(),
            OrderStatus::Completed.number().into(),
            now_ms.into(),
            after_sale_deadline_ms.into(),
            pickup,
        ],
    )
    .await?;
    Ok(n == 1)
}

/// Marks the order settled at `now_ms`; false when it already was.
pub async fn set_settled(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    now_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE ord_orders SET settled_at_ms = $3, version = version + 1, updated_at_ms = $3
         WHERE tenant = $1 AND id = $2 AND settled_at_ms IS NULL",
        [uuid(tenant.0), uuid(id), now_ms.into()],
    )
    .await?;
    Ok(n == 1)
}

/// The open pickup order of the tenant with `code`, locked for update.
pub async fn by_open_pickup_code(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    code: &str,
) -> Result<Option<Order>, AppError> {
    let row: Option<OrderRow> = fetch_one(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM ord_orders WHERE tenant = $1 AND pickup_code = $2
             AND status = $3{}",
            crate::repo::for_update(conn)
        ),
        [
            uuid(tenant.0),
            code.into(),
            OrderStatus::ReadyForPickup.number().into(),
        ],
    )
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let mut order = Order::try_from(row)?;
    with_details(conn, tenant, &mut order).await?;
    Ok(Some(order))
}

/// Whether any order of `store` ever had pickup code `code` (a wrong scan of a real code —
/// one already used, or of another order — is no guess).
pub async fn pickup_code_known(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    store: Uuid,
    code: &str,
) -> Result<bool, AppError> {
    let n = siyu_store::sql::total(
        conn,
        "SELECT COUNT(*) AS n FROM ord_orders WHERE tenant = $1 AND store_id = $2
         AND pickup_code = $3",
        [uuid(tenant.0), uuid(store), code.into()],
    )
    .await?;
    Ok(n > 0)
}

#[derive(Debug, FromQueryResult)]
struct DueRow {
    tenant: Uuid,
    id: Uuid,
}

/// SHIPPED orders of any tenant whose auto-completion time has come, oldest first.
pub async fn due_auto_complete(
    conn: &impl ConnectionTrait,
    now_ms: i64,
    limit: i64,
) -> Result<Vec<(TenantId, Uuid)>, AppError> {
    let rows: Vec<DueRow> = fetch_all(
        conn,
        "SELECT tenant, id FROM ord_orders
         WHERE status = $1 AND auto_complete_at_ms <= $2 ORDER BY auto_complete_at_ms LIMIT $3",
        [
            OrderStatus::Shipped.number().into(),
            now_ms.into(),
            limit.into(),
        ],
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (TenantId(r.tenant), r.id))
        .collect())
}

/// Completed, unsettled orders of any tenant whose after-sales window has closed with no case
/// open (after-sales state 2 is IN_PROGRESS), oldest first.
pub async fn due_settlement(
    conn: &impl ConnectionTrait,
    now_ms: i64,
    limit: i64,
) -> Result<Vec<(TenantId, Uuid)>, AppError> {
    let rows: Vec<DueRow> = fetch_all(
        conn,
        "SELECT tenant, id FROM ord_orders
         WHERE status = $1 AND settled_at_ms IS NULL AND after_sale_deadline_ms <= $2
             AND after_sale_state <> 2
         ORDER BY after_sale_deadline_ms LIMIT $3",
        [
            OrderStatus::Completed.number().into(),
            now_ms.into(),
            limit.into(),
        ],
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (TenantId(r.tenant), r.id))
        .collect())
}

/// The filters of a store order list (every one optional; they combine with AND).
#[derive(Debug, Clone, Default)]
pub struct StoreFilter {
    /// Only these stores; `None` = every store.
    pub stores: Option<Vec<Uuid>>,
    /// Only these statuses (any when empty).
    pub statuses: Vec<OrderStatus>,
    /// Only these after-sales states (any when empty).
    pub after_sale_states: Vec<i16>,
    /// created_at ≥ this.
    pub created_from_ms: Option<i64>,
    /// created_at < this.
    pub created_to_ms: Option<i64>,
    /// updated_at ≥ this.
    pub updated_from_ms: Option<i64>,
    /// Only this consumer's.
    pub user_id: Option<Uuid>,
    /// Oldest change first (incremental sync) instead of newest first.
    pub updated_asc: bool,
}

/// Orders of the tenant matching `f`, after the keyset (sort time, id) when given; fulfilment
/// mode and guide are in the snapshot and filtered by the caller.
pub async fn list_by_store(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    f: &StoreFilter,
    after: Option<(i64, Uuid)>,
    limit: u64,
) -> Result<Vec<Order>, AppError> {
    let mut sql = format!("SELECT {COLUMNS} FROM ord_orders WHERE tenant = $1");
    let mut values = vec![uuid(tenant.0)];
    let mut any_of = |sql: &mut String, column: &str, vs: Vec<Value>| {
        let from = values.len() + 1;
        let n = vs.len();
        values.extend(vs);
        sql.push_str(&format!(" AND {column} IN ({})", placeholders(from, n)));
    };
    if let Some(stores) = &f.stores {
        if stores.is_empty() {
            return Ok(Vec::new());
        }
        any_of(
            &mut sql,
            "store_id",
            stores.iter().map(|s| uuid(*s)).collect(),
        );
    }
    if !f.statuses.is_empty() {
        any_of(
            &mut sql,
            "status",
            f.statuses.iter().map(|s| Value::from(s.number())).collect(),
        );
    }
    if !f.after_sale_states.is_empty() {
        any_of(
            &mut sql,
            "after_sale_state",
            f.after_sale_states
                .iter()
                .map(|s| Value::from(*s))
                .collect(),
        );
    }
    let mut cmp = |sql: &mut String, expr: &str, v: Value| {
        values.push(v);
        sql.push_str(&format!(" AND {expr}${}", values.len()));
    };
    if let Some(t) = f.created_from_ms {
        cmp(&mut sql, "created_at_ms >= ", t.into());
    }
    if let Some(t) = f.created_to_ms {
        cmp(&mut sql, "created_at_ms < ", t.into());
    }
    if let Some(t) = f.updated_from_ms {
        cmp(&mut sql, "updated_at_ms >= ", t.into());
    }
    if let Some(u) = f.user_id {
        cmp(&mut sql, "user_id = ", uuid(u));
    }
    let (column, op, dir) = if f.updated_asc {
        ("updated_at_ms", ">", "ASC")
    } else {
        ("created_at_ms", "<", "DESC")
    };
    if let Some((at, id)) = after {
        values.push(at.into());
        values.push(uuid(id));
        let (a, b) = (values.len() - 1, values.len());
        sql.push_str(&format!(
            " AND ({column} {op} ${a} OR ({column} = ${a} AND id {op} ${b}))"
        ));
    }
    sql.push_str(&format!(
        " ORDER BY {column} {dir}, id {dir} LIMIT {}",
        limit.min(201)
    ));
    let rows: Vec<OrderRow> = fetch_all(conn, &sql, values).await?;
    let mut orders = Vec::with_capacity(rows.len());
    for row in rows {
        let mut order = Order::try_from(row)?;
        with_details(conn, tenant, &mut order).await?;
        orders.push(order);
    }
    Ok(orders)
}
