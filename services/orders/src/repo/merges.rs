//! `ord_merges` and `ord_merge_moves`: identity's user merges as orders applied them. A merge
//! rewrites the user id of the merged user's orders, after-sale cases, checkout records and cart
//! lines to the kept user's and journals every row it moved (or, for cart lines the kept user's
//! cart already had, removed); its reversal gives back exactly the journalled rows that still
//! belong to the kept user. One row per merge, inserted first and locked, serialises a merge,
//! its redelivery and its reversal; a reversal that arrives first inserts the row reversed, so the
//! merge arriving after it moves nothing.

use sea_orm::{ConnectionTrait, FromQueryResult};
use serde::{Deserialize, Serialize};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::repo::{carts, execute, fetch_all, fetch_one, for_update, uuid};

const MERGED: i16 = 1;
const REVERSED: i16 = 2;

/// Tables whose rows follow their user through a merge: (journal kind, table, row id column).
const OWNED: [(&str, &str, &str); 3] = [
    ("order", "ord_orders", "id"),
    ("after_sale", "ord_after_sales", "id"),
    ("checkout", "ord_checkouts", "order_id"),
];

/// What a merge or its reversal moved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Moved {
    /// Orders.
    pub orders: u64,
    /// After-sale cases.
    pub after_sales: u64,
    /// Cart lines moved (not counting lines the kept user's cart won).
    pub cart_lines: u64,
    /// Cart lines dropped by the merge (the kept cart had the SKU) or put back by its reversal.
    pub cart_lines_dropped: u64,
}

/// A cart line the kept user's cart won, kept in the journal so a reversal can put it back.
#[derive(Debug, Serialize, Deserialize)]
struct DroppedLine {
    sku_id: Uuid,
    quantity: i32,
    selected: bool,
    added_at_ms: i64,
}

/// The merged user's cart row, kept so a reversal gives the user a cart again.
#[derive(Debug, Serialize, Deserialize)]
struct MovedCart {
    fulfilment: String,
}

#[derive(Debug, FromQueryResult)]
struct MergeRow {
    kept_user_id: Uuid,
    merged_user_id: Uuid,
    state: i16,
}

async fn claim(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    merge: Uuid,
    kept: Uuid,
    merged: Uuid,
    state: i16,
    now_ms: i64,
) -> Result<Option<MergeRow>, AppError> {
    let inserted = execute(
        conn,
        "INSERT INTO ord_merges (tenant, merge_id, kept_user_id, merged_user_id, state,
             updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        [
            uuid(tenant.0),
            uuid(merge),
            uuid(kept),
            uuid(merged),
            state.into(),
            now_ms.into(),
        ],
    )
    .await?;
    if inserted == 1 {
        return Ok(None);
    }
    let row: Option<MergeRow> = fetch_one(
        conn,
        &format!(
            "SELECT kept_user_id, merged_user_id, state FROM ord_merges
             WHERE tenant = $1 AND merge_id = $2{}",
            for_update(conn)
        ),
        [uuid(tenant.0), uuid(merge)],
    )
    .await?;
    row.map(Some)
        .ok_or_else(|| AppError::Internal("ord_merges row vanished".into()))
}

/// Applies the merge `merge` of `merged` into `kept`: `None` when it was applied or reversed
/// before (nothing changes), else what moved.
pub async fn merge(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    merge: Uuid,
    kept: Uuid,
    merged: Uuid,
    now_ms: i64,
) -> Result<Option<Moved>, AppError> {
    if claim(conn, tenant, merge, kept, merged, MERGED, now_ms)
        .await?
        .is_some()
    {
        return Ok(None);
    }
    let mut moved = Moved::default();
    for (kind, table, id) in OWNED {
        execute(
            conn,
            &format!(
                "INSERT INTO ord_merge_moves (tenant, merge_id, kind, row_id, from_user_id,
                     to_user_id)
                 SELECT tenant, $2, '{kind}', {id}, user_id, $3 FROM {table}
                 WHERE tenant = $1 AND user_id = $4 ON CONFLICT DO NOTHING"
            ),
            [uuid(tenant.0), uuid(merge), uuid(kept), uuid(merged)],
        )
        .await?;
        let n = execute(
            conn,
            &format!(
                "UPDATE {table} SET user_id = $3 WHERE tenant = $1 AND user_id = $4 AND {id} IN
                   (SELECT row_id FROM ord_merge_moves
                    WHERE tenant = $1 AND merge_id = $2 AND kind = '{kind}')"
            ),
            [uuid(tenant.0), uuid(merge), uuid(kept), uuid(merged)],
        )
        .await?;
        match kind {
            "order" => moved.orders = n,
            "after_sale" => moved.after_sales = n,
            _ => {}
        }
    }
    merge_carts(conn, tenant, merge, kept, merged, now_ms, &mut moved).await?;
    Ok(Some(moved))
}

/// The merged user's cart into the kept user's: lines of SKUs the kept cart lacks move, the
/// others are dropped (the kept cart wins); the kept user without a cart takes the merged one's
/// fulfilment choice. Both cart rows are locked, as every cart mutation locks its row first.
async fn merge_carts(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    merge: Uuid,
    kept: Uuid,
    merged: Uuid,
    now_ms: i64,
    moved: &mut Moved,
) -> Result<(), AppError> {
    let Some(from) = carts::get(conn, tenant, merged, true).await? else {
        return Ok(());
    };
    let into = carts::get(conn, tenant, kept, true).await?;
    let fulfilment = raw_fulfilment(conn, tenant, merged).await?;
    journal(
        conn,
        tenant,
        merge,
        "cart",
        merged,
        (merged, kept),
        &MovedCart {
            fulfilment: fulfilment.clone(),
        },
    )
    .await?;
    if into.is_none() {
        execute(
            conn,
            "INSERT INTO ord_carts (tenant, user_id, fulfilment, updated_at_ms)
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            [uuid(tenant.0), uuid(kept), fulfilment.into(), now_ms.into()],
        )
        .await?;
    }
    let kept_skus: Vec<Uuid> = into
        .map(|c| c.lines.iter().map(|l| l.sku_id).collect())
        .unwrap_or_default();
    for line in from.lines {
        if kept_skus.contains(&line.sku_id) {
            journal(
                conn,
                tenant,
                merge,
                "cart_line_dropped",
                line.id,
                (merged, kept),
                &DroppedLine {
                    sku_id: line.sku_id,
                    quantity: line.quantity,
                    selected: line.selected,
                    added_at_ms: line.added_at_ms,
                },
            )
            .await?;
            moved.cart_lines_dropped += execute(
                conn,
                "DELETE FROM ord_cart_lines WHERE tenant = $1 AND id = $2",
                [uuid(tenant.0), uuid(line.id)],
            )
            .await?;
        } else {
            journal(
                conn,
                tenant,
                merge,
                "cart_line",
                line.id,
                (merged, kept),
                &serde_json::json!({}),
            )
            .await?;
            moved.cart_lines += execute(
                conn,
                "UPDATE ord_cart_lines SET user_id = $3 WHERE tenant = $1 AND id = $2",
                [uuid(tenant.0), uuid(line.id), uuid(kept)],
            )
            .await?;
        }
    }
    execute(
        conn,
        "DELETE FROM ord_carts WHERE tenant = $1 AND user_id = $2",
        [uuid(tenant.0), uuid(merged)],
    )
    .await?;
    Ok(())
}

async fn raw_fulfilment(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user: Uuid,
) -> Result<String, AppError> {
    #[derive(Debug, FromQueryResult)]
    struct Row {
        fulfilment: String,
    }
    let row: Option<Row> = fetch_one(
        conn,
        "SELECT fulfilment FROM ord_carts WHERE tenant = $1 AND user_id = $2",
        [uuid(tenant.0), uuid(user)],
    )
    .await?;
    Ok(row.map_or_else(|| "{}".to_owned(), |r| r.fulfilment))
}

async fn journal(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    merge: Uuid,
    kind: &str,
    row_id: Uuid,
    (from, to): (Uuid, Uuid),
    kept: &impl Serialize,
) -> Result<(), AppError> {
    let kept = serde_json::to_string(kept)
        .map_err(|e| AppError::Internal(format!("ord_merge_moves.kept: {e}")))?;
    execute(
        conn,
        "INSERT INTO ord_merge_moves (tenant, merge_id, kind, row_id, from_user_id, to_user_id,
             kept) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        [
            uuid(tenant.0),
            uuid(merge),
            kind.into(),
            uuid(row_id),
            uuid(from),
            uuid(to),
            kept.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Reverses the merge `merge`: the journalled rows that still belong to the kept user go back to
/// the merged user (what the kept user made after the merge stays), dropped cart lines are put
/// back. `None` when there is nothing to reverse: reversed before, or the merge never arrived
/// (then the merge row is recorded reversed and the merge, arriving later, moves nothing).
pub async fn reverse(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    merge: Uuid,
    kept: Uuid,
    merged: Uuid,
    now_ms: i64,
) -> Result<Option<Moved>, AppError> {
    let Some(row) = claim(conn, tenant, merge, kept, merged, REVERSED, now_ms).await? else {
        return Ok(None);
    };
    if row.state == REVERSED {
        return Ok(None);
    }
    // The merge's own users, whatever the reversal event says.
    let (kept, merged) = (row.kept_user_id, row.merged_user_id);
    execute(
        conn,
        "UPDATE ord_merges SET state = $3, updated_at_ms = $4 WHERE tenant = $1 AND merge_id = $2",
        [uuid(tenant.0), uuid(merge), REVERSED.into(), now_ms.into()],
    )
    .await?;
    let mut moved = Moved::default();
    for (kind, table, id) in OWNED {
        let n = execute(
            conn,
            &format!(
                "UPDATE {table} SET user_id = $4 WHERE tenant = $1 AND user_id = $3 AND {id} IN
                   (SELECT row_id FROM ord_merge_moves
                    WHERE tenant = $1 AND merge_id = $2 AND kind = '{kind}')"
            ),
            [uuid(tenant.0), uuid(merge), uuid(kept), uuid(merged)],
        )
        .await?;
        match kind {
            "order" => moved.orders = n,
            "after_sale" => moved.after_sales = n,
            _ => {}
        }
    }
    reverse_carts(conn, tenant, merge, kept, merged, now_ms, &mut moved).await?;
    Ok(Some(moved))
}

#[derive(Debug, FromQueryResult)]
struct MoveRow {
    kind: String,
    row_id: Uuid,
    kept: String,
}

async fn reverse_carts(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    merge: Uuid,
    kept: Uuid,
    merged: Uuid,
    now_ms: i64,
    moved: &mut Moved,
) -> Result<(), AppError> {
    let rows: Vec<MoveRow> = fetch_all(
        conn,
        "SELECT kind, row_id, kept FROM ord_merge_moves
         WHERE tenant = $1 AND merge_id = $2 AND kind IN ('cart', 'cart_line', 'cart_line_dropped')
         ORDER BY kind",
        [uuid(tenant.0), uuid(merge)],
    )
    .await?;
    let Some(cart) = rows.iter().find(|r| r.kind == "cart") else {
        return Ok(());
    };
    let cart: MovedCart = parse(&cart.kept)?;
    // The kept user's cart row first (every cart mutation's lock), then the merged user's.
    carts::get(conn, tenant, kept, true).await?;
    execute(
        conn,
        "INSERT INTO ord_carts (tenant, user_id, fulfilment, updated_at_ms)
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        [
            uuid(tenant.0),
            uuid(merged),
            cart.fulfilment.into(),
            now_ms.into(),
        ],
    )
    .await?;
    for row in &rows {
        match row.kind.as_str() {
            // A moved line still in the kept cart goes back, unless the merged user's cart
            // has its SKU again.
            "cart_line" => {
                moved.cart_lines += execute(
                    conn,
                    "UPDATE ord_cart_lines SET user_id = $4
                     WHERE tenant = $1 AND id = $2 AND user_id = $3 AND NOT EXISTS
                       (SELECT 1 FROM ord_cart_lines m WHERE m.tenant = $1 AND m.user_id = $4
                          AND m.sku_id = ord_cart_lines.sku_id)",
                    [uuid(tenant.0), uuid(row.row_id), uuid(kept), uuid(merged)],
                )
                .await?;
            }
            "cart_line_dropped" => {
                let line: DroppedLine = parse(&row.kept)?;
                moved.cart_lines_dropped += execute(
                    conn,
                    "INSERT INTO ord_cart_lines (tenant, id, user_id, sku_id, quantity, selected,
                         added_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                    [
                        uuid(tenant.0),
                        uuid(row.row_id),
                        uuid(merged),
                        uuid(line.sku_id),
                        line.quantity.into(),
                        line.selected.into(),
                        line.added_at_ms.into(),
                    ],
                )
                .await?;
            }
            _ => {}
        }
    }
    Ok(())
}

fn parse<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T, AppError> {
    serde_json::from_str(text).map_err(|e| AppError::Internal(format!("ord_merge_moves.kept: {e}")))
}
