//! `ord_settings`: the tenant's OrderSettings as a JSON body, one row per tenant (none until a
//! tenant's settings are first written).

use sea_orm::{ConnectionTrait, FromQueryResult};
use siyu_core::TenantId;

use crate::AppError;
use crate::repo::{fetch_one, uuid};

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
