//! Guide codes (导购码) of guides per store: issue, list, resolve and retire.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, Value};

use crate::repo::{all, exec, one, text, ts, ts_opt};

/// A guide code.
#[derive(Debug, Clone)]
pub struct GuideRow {
    /// The code.
    pub code: String,
    /// Tenant.
    pub tenant_id: String,
    /// Guide.
    pub staff_id: String,
    /// Store.
    pub store_id: String,
    /// Current code of (guide, store).
    pub active: bool,
    /// Issued.
    pub created_at: DateTime<Utc>,
    /// When it stops resolving (retired codes).
    pub retire_at: Option<DateTime<Utc>>,
}

const GUIDE_COLUMNS: &str = "code, tenant_id, staff_id, store_id, active, created_at, retire_at";

/// Inserts a code (a unique violation means the random code is taken; the caller retries).
pub async fn insert_guide_code(conn: &impl ConnectionTrait, g: &GuideRow) -> Result<(), DbErr> {
    exec(
        conn,
        &format!(
            "INSERT INTO identity_guide_codes ({GUIDE_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7)"
        ),
        vec![
            text(&g.code),
            text(&g.tenant_id),
            text(&g.staff_id),
            text(&g.store_id),
            Value::Bool(Some(g.active)),
            ts(g.created_at),
            ts_opt(g.retire_at),
        ],
    )
    .await?;
    Ok(())
}

/// Codes of a tenant, newest first, optionally of one guide and/or store.
pub async fn guide_codes(
    conn: &impl ConnectionTrait,
    tenant: &str,
    staff_id: &str,
    store_id: &str,
) -> Result<Vec<GuideRow>, DbErr> {
    let rows = all(
        conn,
        &format!(
            "SELECT {GUIDE_COLUMNS} FROM identity_guide_codes WHERE tenant_id = $1 \
             AND ($2 = '' OR staff_id = $2) AND ($3 = '' OR store_id = $3) \
             ORDER BY created_at DESC, code"
        ),
        vec![text(tenant), text(staff_id), text(store_id)],
    )
    .await?;
    rows.iter().map(decode_guide).collect()
}

/// A code of a tenant.
pub async fn guide_code(
    conn: &impl ConnectionTrait,
    tenant: &str,
    code: &str,
) -> Result<Option<GuideRow>, DbErr> {
    one(
        conn,
        &format!(
            "SELECT {GUIDE_COLUMNS} FROM identity_guide_codes WHERE tenant_id = $1 AND code = $2"
        ),
        vec![text(tenant), text(code)],
    )
    .await?
    .map(|r| decode_guide(&r))
    .transpose()
}

/// Retires the active codes of a guide (at one store, or everywhere with `store_id` = '')
/// as of `at`; returns how many.
pub async fn retire_guide_codes(
    conn: &impl ConnectionTrait,
    tenant: &str,
    staff_id: &str,
    store_id: &str,
    at: DateTime<Utc>,
) -> Result<u64, DbErr> {
    exec(
        conn,
        "UPDATE identity_guide_codes SET active = $1, retire_at = $2 WHERE tenant_id = $3 \
         AND staff_id = $4 AND ($5 = '' OR store_id = $5) AND active = $6",
        vec![
            Value::Bool(Some(false)),
            ts(at),
            text(tenant),
            text(staff_id),
            text(store_id),
            Value::Bool(Some(true)),
        ],
    )
    .await
}

fn decode_guide(r: &sea_orm::QueryResult) -> Result<GuideRow, DbErr> {
    Ok(GuideRow {
        code: r.try_get("", "code")?,
        tenant_id: r.try_get("", "tenant_id")?,
        staff_id: r.try_get("", "staff_id")?,
        store_id: r.try_get("", "store_id")?,
        active: r.try_get("", "active")?,
        created_at: r.try_get("", "created_at")?,
        retire_at: r.try_get("", "retire_at")?,
    })
}
