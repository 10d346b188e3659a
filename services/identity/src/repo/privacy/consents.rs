//! Consent records: append-only, newest first when read.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, Value};

use crate::repo::{all, exec, text, ts};

/// One consent record.
#[derive(Debug, Clone)]
pub struct ConsentRow {
    /// Record id.
    pub id: String,
    /// User.
    pub user_id: String,
    /// PRIVACY_POLICY, TERMS_OF_SERVICE, MARKETING.
    pub kind: String,
    /// SMS, WECHAT, … ('' unless MARKETING).
    pub channel: String,
    /// Document version ('' for MARKETING).
    pub version: String,
    /// Granted or withdrawn.
    pub granted: bool,
    /// Where given.
    pub source: String,
    /// Client IP, last octet masked.
    pub ip_masked: String,
    /// When recorded.
    pub created_at: DateTime<Utc>,
}

/// Appends a consent record.
#[tracing::instrument(skip_all, fields(tenant))]
pub async fn insert_consent(
    conn: &impl ConnectionTrait,
    tenant: &str,
    c: &ConsentRow,
) -> Result<(), DbErr> {
    exec(
        conn,
        "INSERT INTO identity_user_consents (id, tenant_id, user_id, kind, channel, version, \
         granted, source, ip_masked, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
        vec![
            text(&c.id),
            text(tenant),
            text(&c.user_id),
            text(&c.kind),
            text(&c.channel),
            text(&c.version),
            Value::Bool(Some(c.granted)),
            text(&c.source),
            text(&c.ip_masked),
            ts(c.created_at),
        ],
    )
    .await?;
    Ok(())
}

/// Every consent record of a user, newest first.
#[tracing::instrument(skip_all, fields(tenant))]
pub async fn consents_of(
    conn: &impl ConnectionTrait,
    tenant: &str,
    user_id: &str,
) -> Result<Vec<ConsentRow>, DbErr> {
    all(
        conn,
        "SELECT id, user_id, kind, channel, version, granted, source, ip_masked, created_at \
         FROM identity_user_consents WHERE tenant_id = $1 AND user_id = $2 \
         ORDER BY created_at DESC, id DESC",
        vec![text(tenant), text(user_id)],
    )
    .await?
    .iter()
    .map(|row| {
        Ok(ConsentRow {
            id: row.try_get("", "id")?,
            user_id: row.try_get("", "user_id")?,
            kind: row.try_get("", "kind")?,
            channel: row.try_get("", "channel")?,
            version: row.try_get("", "version")?,
            granted: row.try_get("", "granted")?,
            source: row.try_get("", "source")?,
            ip_masked: row.try_get("", "ip_masked")?,
            created_at: row.try_get("", "created_at")?,
        })
    })
    .collect()
}
