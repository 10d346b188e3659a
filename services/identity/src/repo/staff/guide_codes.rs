//! Guide codes (导购码) of guides per store: issue, list, resolve and retire.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;

use crate::error::AppError;
use crate::repo::{execute, fetch_all, fetch_one, stored_tenant, tenant_text, text, ts, ts_opt};

/// A guide code.
#[derive(Debug, Clone)]
pub struct GuideCode {
    /// The code.
    pub code: String,
    /// Tenant.
    pub tenant_id: TenantId,
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

/// A row of [`GUIDE_COLUMNS`].
#[derive(Debug, FromQueryResult)]
struct GuideCodeRow {
    code: String,
    tenant_id: String,
    staff_id: String,
    store_id: String,
    active: bool,
    created_at: DateTime<Utc>,
    retire_at: Option<DateTime<Utc>>,
}

impl TryFrom<GuideCodeRow> for GuideCode {
    type Error = AppError;

    fn try_from(r: GuideCodeRow) -> Result<Self, AppError> {
        Ok(Self {
            code: r.code,
            tenant_id: stored_tenant("identity_guide_codes", &r.tenant_id)?,
            staff_id: r.staff_id,
            store_id: r.store_id,
            active: r.active,
            created_at: r.created_at,
            retire_at: r.retire_at,
        })
    }
}

const GUIDE_COLUMNS: &str = "code, tenant_id, staff_id, store_id, active, created_at, retire_at";

/// Inserts a code (a unique violation means the random code is taken; the caller retries).
pub async fn insert_guide_code(conn: &impl ConnectionTrait, g: &GuideCode) -> Result<(), AppError> {
    execute(
        conn,
        &format!(
            "INSERT INTO identity_guide_codes ({GUIDE_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7)"
        ),
        vec![
            text(&g.code),
            tenant_text(g.tenant_id),
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
    tenant: TenantId,
    staff_id: &str,
    store_id: &str,
) -> Result<Vec<GuideCode>, AppError> {
    let rows = fetch_all::<GuideCodeRow>(
        conn,
        &format!(
            "SELECT {GUIDE_COLUMNS} FROM identity_guide_codes WHERE tenant_id = $1 \
             AND ($2 = '' OR staff_id = $2) AND ($3 = '' OR store_id = $3) \
             ORDER BY created_at DESC, code"
        ),
        vec![tenant_text(tenant), text(staff_id), text(store_id)],
    )
    .await?;
    rows.into_iter().map(GuideCode::try_from).collect()
}

/// A code of a tenant.
pub async fn guide_code(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    code: &str,
) -> Result<Option<GuideCode>, AppError> {
    fetch_one::<GuideCodeRow>(
        conn,
        &format!(
            "SELECT {GUIDE_COLUMNS} FROM identity_guide_codes WHERE tenant_id = $1 AND code = $2"
        ),
        vec![tenant_text(tenant), text(code)],
    )
    .await?
    .map(GuideCode::try_from)
    .transpose()
}

/// Retires the active codes of a guide (at one store, or everywhere with `store_id` = '')
/// as of `at`; returns how many.
pub async fn retire_guide_codes(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    staff_id: &str,
    store_id: &str,
    at: DateTime<Utc>,
) -> Result<u64, AppError> {
    execute(
        conn,
        "UPDATE identity_guide_codes SET active = $1, retire_at = $2 WHERE tenant_id = $3 \
         AND staff_id = $4 AND ($5 = '' OR store_id = $5) AND active = $6",
        vec![
            Value::Bool(Some(false)),
            ts(at),
            tenant_text(tenant),
            text(staff_id),
            text(store_id),
            Value::Bool(Some(true)),
        ],
    )
    .await
}
