//! `ord_settings`: the tenant's OrderSettings as a JSON body, one row per tenant (none until a
//! tenant's settings are first written).

use sea_orm::{ConnectionTrait, FromQueryResult};
use siyu_core::TenantId;

use crate::AppError;
use crate::repo::{execute, fetch_one, for_update, uuid};

#[derive(Debug, FromQueryResult)]
struct SettingsRow {
    body: String,
}

/// The stored JSON body of the tenant's settings, if a row exists.
pub async fn body(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<Option<String>, AppError> {
    let row: Option<SettingsRow> = fetch_one(
        conn,
        "SELECT body FROM ord_settings WHERE tenant = $1",
        [uuid(tenant.0)],
    )
    .await?;
    Ok(row.map(|r| r.body))
}

/// The tenant's stored settings row.
#[derive(Debug, Clone, FromQueryResult)]
pub struct StoredRow {
    /// OrderSettings as proto3 JSON.
    pub body: String,
    /// Bumped by every update.
    pub version: i64,
    /// The staff who changed it last.
    pub updated_by: String,
    /// When.
    pub updated_at_ms: i64,
}

/// The tenant's settings row, locked for update when `lock`.
pub async fn row(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    lock: bool,
) -> Result<Option<StoredRow>, AppError> {
    let lock = if lock { for_update(conn) } else { "" };
    fetch_one(
        conn,
        &format!(
            "SELECT body, version, updated_by, updated_at_ms FROM ord_settings
             WHERE tenant = $1{lock}"
        ),
        [uuid(tenant.0)],
    )
    .await
    .map_err(Into::into)
}

/// Writes `body` as version `version` when the stored version is still `version - 1` (no row
/// for version 1); false when another update came first.
pub async fn put(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    body: &str,
    version: i64,
    updated_by: &str,
    now_ms: i64,
) -> Result<bool, AppError> {
    let values = [
        uuid(tenant.0),
        body.into(),
        version.into(),
        updated_by.into(),
        now_ms.into(),
    ];
    let n = if version == 1 {
        execute(
            conn,
            "INSERT INTO ord_settings (tenant, body, version, updated_by, updated_at_ms)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            values,
        )
        .await?
    } else {
        execute(
            conn,
            "UPDATE ord_settings SET body = $2, version = $3, updated_by = $4, updated_at_ms = $5
             WHERE tenant = $1 AND version = $3 - 1",
            values,
        )
        .await?
    };
    Ok(n == 1)
}
