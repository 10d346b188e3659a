//! The WeChat apps of tenants (secrets sealed by the caller): upserts, reads, listings and
//! removal.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;

use crate::error::AppError;
use crate::repo::tenancy::AppKind;
use crate::repo::{execute, fetch_all, fetch_one, stored, stored_tenant, tenant_text, text, ts};

/// An application of a tenant (secret still sealed).
#[derive(Debug, Clone)]
pub struct TenantApp {
    /// App id.
    pub app_id: String,
    /// Owner.
    pub tenant_id: TenantId,
    /// What kind of app.
    pub kind: AppKind,
    /// Display name.
    pub name: String,
    /// Sealed secret.
    pub secret_enc: Option<Vec<u8>>,
    /// Last 4 characters of the secret.
    pub secret_last4: String,
    /// Enabled.
    pub enabled: bool,
}

/// A row of [`APP_COLUMNS`].
#[derive(Debug, FromQueryResult)]
struct AppRow {
    app_id: String,
    tenant_id: String,
    kind: String,
    name: String,
    secret_enc: Option<Vec<u8>>,
    secret_last4: String,
    enabled: bool,
}

impl TryFrom<AppRow> for TenantApp {
    type Error = AppError;

    fn try_from(r: AppRow) -> Result<Self, AppError> {
        Ok(Self {
            kind: stored("identity_apps", &r.kind)?,
            app_id: r.app_id,
            tenant_id: stored_tenant("identity_apps", &r.tenant_id)?,
            name: r.name,
            secret_enc: r.secret_enc,
            secret_last4: r.secret_last4,
            enabled: r.enabled,
        })
    }
}

const APP_COLUMNS: &str = "app_id, tenant_id, kind, name, secret_enc, secret_last4, enabled";

/// Inserts or updates an app of `tenant`; returns false when the app id belongs to another
/// tenant (nothing written).
#[tracing::instrument(skip_all, fields(tenant = %app.tenant_id))]
pub async fn upsert_app(
    conn: &impl ConnectionTrait,
    app: &TenantApp,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let existing = get_app(conn, &app.app_id).await?;
    match existing {
        Some(found) if found.tenant_id != app.tenant_id => Ok(false),
        Some(_) => {
            execute(
                conn,
                "UPDATE identity_apps SET kind = $1, name = $2, \
                 secret_enc = COALESCE($3, secret_enc), secret_last4 = CASE WHEN $3 IS NULL \
                 THEN secret_last4 ELSE $4 END, enabled = $5 WHERE app_id = $6 AND tenant_id = $7",
                vec![
                    text(app.kind.as_str()),
                    text(&app.name),
                    Value::Bytes(app.secret_enc.clone()),
                    text(&app.secret_last4),
                    Value::Bool(Some(app.enabled)),
                    text(&app.app_id),
                    tenant_text(app.tenant_id),
                ],
            )
            .await?;
            Ok(true)
        }
        None => {
            execute(
                conn,
                "INSERT INTO identity_apps (app_id, tenant_id, kind, name, secret_enc, \
                 secret_last4, agent_id, enabled, secret_updated_at, created_at) \
                 VALUES ($1,$2,$3,$4,$5,$6,'',$7,$8,$8)",
                vec![
                    text(&app.app_id),
                    tenant_text(app.tenant_id),
                    text(app.kind.as_str()),
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
pub async fn get_app(
    conn: &impl ConnectionTrait,
    app_id: &str,
) -> Result<Option<TenantApp>, AppError> {
    fetch_one::<AppRow>(
        conn,
        &format!("SELECT {APP_COLUMNS} FROM identity_apps WHERE app_id = $1"),
        vec![text(app_id)],
    )
    .await?
    .map(TenantApp::try_from)
    .transpose()
}

/// Every app of a tenant, by app id.
pub async fn apps(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<Vec<TenantApp>, AppError> {
    fetch_all::<AppRow>(
        conn,
        &format!("SELECT {APP_COLUMNS} FROM identity_apps WHERE tenant_id = $1 ORDER BY app_id"),
        vec![tenant_text(tenant)],
    )
    .await?
    .into_iter()
    .map(TenantApp::try_from)
    .collect()
}

/// Deletes an app of a tenant; returns the rows deleted.
pub async fn delete_app(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    app_id: &str,
) -> Result<u64, AppError> {
    execute(
        conn,
        "DELETE FROM identity_apps WHERE app_id = $1 AND tenant_id = $2",
        vec![text(app_id), tenant_text(tenant)],
    )
    .await
}
