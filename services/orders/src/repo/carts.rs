//! `ord_carts` (one row per consumer once the cart holds a fulfilment choice or a line; the row
//! every cart mutation locks first) and `ord_cart_lines` (one row per SKU).

use sea_orm::{ConnectionTrait, FromQueryResult};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::carts::{CartLine, Fulfilment, MAX_QUANTITY, StoredCart};
use crate::repo::{execute, fetch_all, fetch_one, for_update, placeholders, uuid};

#[derive(Debug, FromQueryResult)]
struct CartRow {
    fulfilment: String,
    updated_at_ms: i64,
}

#[derive(Debug, FromQueryResult)]
struct LineRow {
    id: Uuid,
    sku_id: Uuid,
    quantity: i32,
    selected: bool,
    added_at_ms: i64,
}

impl From<LineRow> for CartLine {
    fn from(r: LineRow) -> Self {
        Self {
            id: r.id,
            sku_id: r.sku_id,
            quantity: r.quantity,
            selected: r.selected,
            added_at_ms: r.added_at_ms,
        }
    }
}

fn fulfilment(text: &str) -> Result<Fulfilment, AppError> {
    serde_json::from_str(text).map_err(|e| AppError::Internal(format!("ord_carts.fulfilment: {e}")))
}

/// The cart of `user` with its lines (most recently added first); `lock` holds the cart row
/// until the transaction ends. `None` when the user has no cart row.
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user: Uuid,
    lock: bool,
) -> Result<Option<StoredCart>, AppError> {
    let lock = if lock { for_update(conn) } else { "" };
    let row: Option<CartRow> = fetch_one(
        conn,
        &format!(
            "SELECT fulfilment, updated_at_ms FROM ord_carts WHERE tenant = $1 AND user_id = $2{lock}"
        ),
        [uuid(tenant.0), uuid(user)],
    )
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    Ok(Some(StoredCart {
        user_id: user,
        fulfilment: fulfilment(&row.fulfilment)?,
        lines: lines(conn, tenant, user).await?,
        updated_at_ms: row.updated_at_ms,
    }))
}

/// The lines of `user`'s cart, most recently added first.
pub async fn lines(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user: Uuid,
) -> Result<Vec<CartLine>, AppError> {
    let rows: Vec<LineRow> = fetch_all(
        conn,
        "SELECT id, sku_id, quantity, selected, added_at_ms FROM ord_cart_lines \
         WHERE tenant = $1 AND user_id = $2 ORDER BY added_at_ms DESC, id DESC",
        [uuid(tenant.0), uuid(user)],
    )
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Creates `user`'s cart row unless it exists, then locks it: the first step of every cart
/// mutation that may add to the cart, so concurrent ones on one cart run one after another.
pub async fn lock_or_create(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user: Uuid,
    now_ms: i64,
) -> Result<StoredCart, AppError> {
    execute(
        conn,
        "INSERT INTO ord_carts (tenant, user_id, fulfilment, updated_at_ms) \
         VALUES ($1, $2, '{}', $3) ON CONFLICT (tenant, user_id) DO NOTHING",
        [uuid(tenant.0), uuid(user), now_ms.into()],
    )
    .await?;
    get(conn, tenant, user, true)
        .await?
        .ok_or_else(|| AppError::Internal("cart row vanished after insert".into()))
}

/// Adds `quantity` of `sku` to `user`'s cart: a new selected line, or the existing line of the
/// SKU increased and selected again. Answers the line's id and quantity, or `None` when the
/// resulting quantity would be above [`MAX_QUANTITY`] (nothing changed).
pub async fn add(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user: Uuid,
    sku: Uuid,
    quantity: i32,
    now_ms: i64,
) -> Result<Option<(Uuid, i32)>, AppError> {
    #[derive(Debug, FromQueryResult)]
    struct Added {
        id: Uuid,
        quantity: i32,
    }
    let row: Option<Added> = fetch_one(
        conn,
        "INSERT INTO ord_cart_lines (tenant, id, user_id, sku_id, quantity, selected, added_at_ms) \
         VALUES ($1, $2, $3, $4, $5, TRUE, $6) \
         ON CONFLICT (tenant, user_id, sku_id) DO UPDATE \
         SET quantity = ord_cart_lines.quantity + excluded.quantity, selected = TRUE \
         WHERE ord_cart_lines.quantity + excluded.quantity <= $7 \
         RETURNING id, quantity",
        [
            uuid(tenant.0),
            uuid(siyu_core::id::new()),
            uuid(user),
            uuid(sku),
            quantity.into(),
            now_ms.into(),
            MAX_QUANTITY.into(),
        ],
    )
    .await?;
    Ok(row.map(|r| (r.id, r.quantity)))
}

/// Sets the quantity of a line of `user`'s cart; false when there is no such line.
pub async fn set_quantity(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user: Uuid,
    line: Uuid,
    quantity: i32,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE ord_cart_lines SET quantity = $4 WHERE tenant = $1 AND user_id = $2 AND id = $3",
        [uuid(tenant.0), uuid(user), uuid(line), quantity.into()],
    )
    .await?;
    Ok(n > 0)
}

/// Removes lines of `user`'s cart (`None`: every line); answers how many went.
pub async fn remove(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user: Uuid,
    lines: Option<&[Uuid]>,
) -> Result<u64, AppError> {
    let mut values = vec![uuid(tenant.0), uuid(user)];
    let sql = match lines {
        None => "DELETE FROM ord_cart_lines WHERE tenant = $1 AND user_id = $2".to_owned(),
        Some([]) => return Ok(0),
        Some(ids) => {
            values.extend(ids.iter().copied().map(uuid));
            format!(
                "DELETE FROM ord_cart_lines WHERE tenant = $1 AND user_id = $2 AND id IN ({})",
                placeholders(3, ids.len())
            )
        }
    };
    Ok(execute(conn, &sql, values).await?)
}

/// Selects or unselects lines of `user`'s cart (`None`: every line); answers how many changed.
pub async fn select(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user: Uuid,
    lines: Option<&[Uuid]>,
    selected: bool,
) -> Result<u64, AppError> {
    let mut values = vec![uuid(tenant.0), uuid(user), selected.into()];
    let only = match lines {
        None => String::new(),
        Some([]) => return Ok(0),
        Some(ids) => {
            values.extend(ids.iter().copied().map(uuid));
            format!(" AND id IN ({})", placeholders(4, ids.len()))
        }
    };
    Ok(execute(
        conn,
        &format!(
            "UPDATE ord_cart_lines SET selected = $3 \
             WHERE tenant = $1 AND user_id = $2 AND selected <> $3{only}"
        ),
        values,
    )
    .await?)
}

/// Stores the cart's fulfilment choice.
pub async fn set_fulfilment(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user: Uuid,
    choice: &Fulfilment,
) -> Result<(), AppError> {
    let json =
        serde_json::to_string(choice).map_err(|e| AppError::Internal(format!("json: {e}")))?;
    execute(
        conn,
        "UPDATE ord_carts SET fulfilment = $3 WHERE tenant = $1 AND user_id = $2",
        [uuid(tenant.0), uuid(user), json.into()],
    )
    .await?;
    Ok(())
}

/// Marks the cart changed at `now_ms`.
pub async fn touch(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user: Uuid,
    now_ms: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE ord_carts SET updated_at_ms = $3 WHERE tenant = $1 AND user_id = $2",
        [uuid(tenant.0), uuid(user), now_ms.into()],
    )
    .await?;
    Ok(())
}
