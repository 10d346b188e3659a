//! The WeChat apps of tenants (secrets sealed by the caller): upserts, reads, listings and
//! removal.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, Value};

use crate::repo::{all, exec, one, text, ts};

/// An application row (secret still sealed).
#[derive(Debug, Clone)]
pub struct AppRow {
    /// App id.
    pub app_id: String,
    /// Owner.
    pub tenant_id: String,
    /// MINI_PROGRAM, OFFICIAL_ACCOUNT, WECOM, H5.
    pub kind: String,
    /// Display name.
    pub name: String,
    /// Sealed secret.
    pub secret_enc: Option<Vec<u8>>,
    /// Last 4 characters of the secret.
    pub secret_last4: String,
    /// Enabled.
    pub enabled: bool,
}

/// Inserts or updates an app of `tenant`; returns false when the app id belongs to another
/// tenant (nothing written).
#[tracing::instrument(skip_all, fields(tenant = %app.tenant_id))]
pub async fn upsert_app(
    conn: &impl ConnectionTrait,
    app: &AppRow,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let existing = get_app(conn, &app.app_id).await?;
    match existing {
        Some(found) if found.tenant_id != app.tenant_id => Ok(false),
        Some(_) => {
            exec(
                conn,
                "UPDATE identity_apps SET kind = $1, name = $2, \
                 secret_enc = COALESCE($3, secret_enc), secret_last4 = CASE WHEN $3 IS NULL \
                 THEN secret_last4 ELSE $4 END, enabled = $5 WHERE app_id = $6 AND tenant_id = $7",
                vec![
                    text(&app.kind),
                    text(&app.name),
                    Value::Bytes(app.secret_enc.clone()),
                    text(&app.secret_last4),
                    Value::Bool(Some(app.enabled)),
                    text(&app.app_id),
                    text(&app.tenant_id),
                ],
            )
            .await?;
            Ok(true)
        }
        None => {
            exec(
                conn,
                "INSERT INTO identity_apps (app_id, tenant_id, kind, name, secret_enc, \
                 secret_last4, agent_id, enabled, secret_updated_at, created_at) \
                 VALUES ($1,$2,$3,$4,$5,$6,'',$7,$8,$8)",
                vec![
                    text(&app.app_id),
                    text(&app.tenant_id),
                    text(&app.kind),
                    text(&app.name),
                    Value::Bytes(app.secret_enc.clone()),
                    text(&app.secret_last4),
                    Value::Bool(Some(app.enabled)),
                    ts(now),
                ],
            )
            .await?;
            Ok(true)
        }
    }
}

/// An app by app id (any tenant: app ids are globally unique, as in WeChat).
pub async fn get_app(conn: &impl ConnectionTrait, app_id: &str) -> Result<Option<AppRow>, DbErr> {
    let Some(row) = one(
        conn,
        "SELECT app_id, tenant_id, kind, name, secret_enc, secret_last4, enabled \
         FROM identity_apps WHERE app_id = $1",
        vec![text(app_id)],
    )
    .await?
    else {
        return Ok(None);
    };
    Ok(Some(AppRow {
        app_id: row.try_get("", "app_id")?,
        tenant_id: row.try_get("", "tenant_id")?,
        kind: row.try_get("", "kind")?,
        name: row.try_get("", "name")?,
        secret_enc: row.try_get("", "secret_enc")?,
        secret_last4: row.try_get("", "secret_last4")?,
        enabled: row.try_get("", "enabled")?,
    }))
}

/// Every app of a tenant, by app id.
pub async fn apps(conn: &impl ConnectionTrait, tenant: &str) -> Result<Vec<AppRow>, DbErr> {
    let rows = all(
        conn,
        "SELECT app_id, tenant_id, kind, name, secret_enc, secret_last4, enabled \
         FROM identity_apps WHERE tenant_id = $1 ORDER BY app_id",
        vec![text(tenant)],
    )
    .await?;
    rows.iter()
        .map(|row| {
            Ok(AppRow {
                app_id: row.try_get("", "app_id")?,
                tenant_id: row.try_get("", "tenant_id")?,
                kind: row.try_get("", "kind")?,
                name: row.try_get("", "name")?,
                secret_enc: row.try_get("", "secret_enc")?,
                secret_last4: row.try_get("", "secret_last4")?,
                enabled: row.try_get("", "enabled")?,
            })
        })
        .collect()
}

/// Deletes an app of a tenant; returns the rows deleted.
pub async fn delete_app(
    conn: &impl ConnectionTrait,
    tenant: &str,
    app_id: &str,
) -> Result<u64, DbErr> {
    exec(
        conn,
        "DELETE FROM identity_apps WHERE app_id = $1 AND tenant_id = $2",
        vec![text(app_id), text(tenant)],
    )
    .await
}
