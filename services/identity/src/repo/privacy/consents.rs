//! Consent records: append-only, newest first when read.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;

use crate::error::AppError;
use crate::repo::privacy::{ConsentChannel, ConsentKind};
use crate::repo::{execute, fetch_all, stored, tenant_text, text, ts};

/// One consent record.
#[derive(Debug, Clone)]
pub struct Consent {
    /// Record id.
    pub id: String,
    /// User.
    pub user_id: String,
    /// What it is about.
    pub kind: ConsentKind,
    /// The channel (MARKETING only).
    pub channel: Option<ConsentChannel>,
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

/// A consent row ('' = no channel).
#[derive(Debug, FromQueryResult)]
struct ConsentRow {
    id: String,
    user_id: String,
    kind: String,
    channel: String,
    version: String,
    granted: bool,
    source: String,
    ip_masked: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<ConsentRow> for Consent {
    type Error = AppError;

    fn try_from(r: ConsentRow) -> Result<Self, AppError> {
        let channel = match r.channel.as_str() {
            "" => None,
            named => Some(stored("identity_user_consents", named)?),
        };
        Ok(Self {
            kind: stored("identity_user_consents", &r.kind)?,
            channel,
            id: r.id,
            user_id: r.user_id,
            version: r.version,
            granted: r.granted,
            source: r.source,
            ip_masked: r.ip_masked,
            created_at: r.created_at,
        })
    }
}

/// Appends a consent record.
#[tracing::instrument(skip_all, fields(tenant))]
pub async fn insert_consent(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    c: &Consent,
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO identity_user_consents (id, tenant_id, user_id, kind, channel, version, \
         granted, source, ip_masked, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
        vec![
            text(&c.id),
            tenant_text(tenant),
            text(&c.user_id),
            text(c.kind.as_str()),
            text(c.channel.map(ConsentChannel::as_str).unwrap_or_default()),
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
    tenant: TenantId,
    user_id: &str,
) -> Result<Vec<Consent>, AppError> {
    fetch_all::<ConsentRow>(
        conn,
        "SELECT id, user_id, kind, channel, version, granted, source, ip_masked, created_at \
         FROM identity_user_consents WHERE tenant_id = $1 AND user_id = $2 \
         ORDER BY created_at DESC, id DESC",
        vec![tenant_text(tenant), text(user_id)],
    )
    .await?
    .into_iter()
    .map(Consent::try_from)
    .collect()
}
