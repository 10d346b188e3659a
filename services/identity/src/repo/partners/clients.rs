//! Partner clients of the open platform. Secrets are stored as SHA-256 hashes (see
//! `app::partners::secret_rotation` for why a fast hash is right here).

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;

use crate::error::AppError;
use crate::repo::partners::PartnerStatus;
use crate::repo::{
    execute, fetch_all, fetch_one, stored, stored_tenant, tenant_text, text, ts, ts_opt,
};

/// A partner client.
#[derive(Debug, Clone)]
pub struct PartnerClient {
    /// Client id (UUIDv7), global primary key.
    pub client_id: String,
    /// Tenant.
    pub tenant_id: TenantId,
    /// Display name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Hex SHA-256 of the current secret.
    pub secret_hash: String,
    /// Allowed scopes.
    pub scopes: Vec<String>,
    /// Whether it may obtain tokens.
    pub status: PartnerStatus,
    /// Access-token lifetime.
    pub token_ttl_secs: i32,
    /// Gateway rate limit.
    pub rate_limit_per_minute: i32,
    /// Gateway burst.
    pub rate_limit_burst: i32,
    /// Allowed IPs / CIDR blocks; empty = any.
    pub ip_allow_list: Vec<String>,
    /// Last 4 characters of the current secret.
    pub secret_last4: String,
    /// When the current secret was created.
    pub secret_created_at: Option<DateTime<Utc>>,
    /// Hash of the previous secret during a rotation grace period.
    pub previous_secret_hash: Option<String>,
    /// When the previous secret stops working.
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    /// Staff id of the creator.
    pub created_by: String,
    /// Last token issued.
    pub last_token_at: Option<DateTime<Utc>>,
    /// Optimistic concurrency version (the etag).
    pub version: i64,
    /// Generation embedded in token jtis; bumping it revokes every earlier token.
    pub token_generation: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Updated.
    pub updated_at: DateTime<Utc>,
}

/// A row of [`COLUMNS`].
#[derive(Debug, FromQueryResult)]
struct PartnerRow {
    client_id: String,
    tenant_id: String,
    name: String,
    description: String,
    secret_hash: String,
    scopes: String,
    status: String,
    token_ttl_secs: i32,
    rate_limit_per_minute: i32,
    rate_limit_burst: i32,
    ip_allow_list: String,
    secret_last4: String,
    secret_created_at: Option<DateTime<Utc>>,
    previous_secret_hash: Option<String>,
    previous_secret_expires_at: Option<DateTime<Utc>>,
    created_by: String,
    last_token_at: Option<DateTime<Utc>>,
    version: i64,
    token_generation: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<PartnerRow> for PartnerClient {
    type Error = AppError;

    fn try_from(r: PartnerRow) -> Result<Self, AppError> {
        Ok(Self {
            status: stored("identity_partner_clients", &r.status)?,
            scopes: split(&r.scopes),
            ip_allow_list: split(&r.ip_allow_list),
            client_id: r.client_id,
            tenant_id: stored_tenant("identity_partner_clients", &r.tenant_id)?,
            name: r.name,
            description: r.description,
            secret_hash: r.secret_hash,
            token_ttl_secs: r.token_ttl_secs,
            rate_limit_per_minute: r.rate_limit_per_minute,
            rate_limit_burst: r.rate_limit_burst,
            secret_last4: r.secret_last4,
            secret_created_at: r.secret_created_at,
            previous_secret_hash: r.previous_secret_hash,
            previous_secret_expires_at: r.previous_secret_expires_at,
            created_by: r.created_by,
            last_token_at: r.last_token_at,
            version: r.version,
            token_generation: r.token_generation,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// The client of a query selecting [`COLUMNS`], if any.
async fn client(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Option<PartnerClient>, AppError> {
    fetch_one::<PartnerRow>(conn, sql, values)
        .await?
        .map(PartnerClient::try_from)
        .transpose()
}

const COLUMNS: &str = "client_id, tenant_id, name, description, secret_hash, scopes, status, \
    token_ttl_secs, rate_limit_per_minute, rate_limit_burst, ip_allow_list, secret_last4, \
    secret_created_at, previous_secret_hash, previous_secret_expires_at, created_by, \
    last_token_at, version, token_generation, created_at, updated_at";

fn values(p: &PartnerClient) -> Vec<Value> {
    vec![
        text(&p.client_id),
        tenant_text(p.tenant_id),
        text(&p.name),
        text(&p.description),
        text(&p.secret_hash),
        text(p.scopes.join(" ")),
        text(p.status.as_str()),
        Value::Int(Some(p.token_ttl_secs)),
        Value::Int(Some(p.rate_limit_per_minute)),
        Value::Int(Some(p.rate_limit_burst)),
        text(p.ip_allow_list.join(" ")),
        text(&p.secret_last4),
        ts_opt(p.secret_created_at),
        Value::String(p.previous_secret_hash.clone()),
        ts_opt(p.previous_secret_expires_at),
        text(&p.created_by),
        ts_opt(p.last_token_at),
        Value::BigInt(Some(p.version)),
        Value::BigInt(Some(p.token_generation)),
        ts(p.created_at),
        ts(p.updated_at),
    ]
}

/// Inserts a client.
#[tracing::instrument(skip_all, fields(tenant = %p.tenant_id, client = %p.client_id))]
pub async fn insert(conn: &impl ConnectionTrait, p: &PartnerClient) -> Result<(), AppError> {
    execute(
        conn,
        &format!(
            "INSERT INTO identity_partner_clients ({COLUMNS}) VALUES \
             ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21)"
        ),
        values(p),
    )
    .await?;
    Ok(())
}

/// Writes every mutable column of `p` when the stored version is `expected_version`; returns
/// the rows changed (0 = a concurrent change won).
#[tracing::instrument(skip_all, fields(tenant = %p.tenant_id, client = %p.client_id))]
pub async fn update(
    conn: &impl ConnectionTrait,
    p: &PartnerClient,
    expected_version: i64,
) -> Result<u64, AppError> {
    let mut vals = values(p);
    vals.push(Value::BigInt(Some(expected_version)));
    execute(
        conn,
        "UPDATE identity_partner_clients SET name = $3, description = $4, secret_hash = $5, \
         scopes = $6, status = $7, token_ttl_secs = $8, rate_limit_per_minute = $9, \
         rate_limit_burst = $10, ip_allow_list = $11, secret_last4 = $12, \
         secret_created_at = $13, previous_secret_hash = $14, previous_secret_expires_at = $15, \
         created_by = $16, last_token_at = $17, version = $18, token_generation = $19, \
         created_at = $20, updated_at = $21 \
         WHERE client_id = $1 AND tenant_id = $2 AND version = $22",
        vals,
    )
    .await
}

/// A client of a tenant.
#[tracing::instrument(skip_all, fields(tenant, client = id))]
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: &str,
) -> Result<Option<PartnerClient>, AppError> {
    client(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM identity_partner_clients WHERE tenant_id = $1 AND client_id = $2"
        ),
        vec![tenant_text(tenant), text(id)],
    )
    .await
}

/// A client by id in any tenant: the client-credentials grant names only the client (its
/// tenant comes from the row).
#[tracing::instrument(skip_all, fields(client = id))]
pub async fn get_any(
    conn: &impl ConnectionTrait,
    id: &str,
) -> Result<Option<PartnerClient>, AppError> {
    client(
        conn,
        &format!("SELECT {COLUMNS} FROM identity_partner_clients WHERE client_id = $1"),
        vec![text(id)],
    )
    .await
}

/// Clients of a tenant, newest first, optionally of one status.
#[tracing::instrument(skip_all, fields(tenant))]
pub async fn list(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    status: Option<PartnerStatus>,
) -> Result<Vec<PartnerClient>, AppError> {
    fetch_all::<PartnerRow>(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM identity_partner_clients WHERE tenant_id = $1 \
             AND ($2 = '' OR status = $2) ORDER BY created_at DESC, client_id DESC"
        ),
        vec![
            tenant_text(tenant),
            text(status.map(PartnerStatus::as_str).unwrap_or_default()),
        ],
    )
    .await?
    .into_iter()
    .map(PartnerClient::try_from)
    .collect()
}

/// Records that a token was issued.
pub async fn touch_last_token(
    conn: &impl ConnectionTrait,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE identity_partner_clients SET last_token_at = $1 WHERE client_id = $2",
        vec![ts(now), text(id)],
    )
    .await?;
    Ok(())
}

/// Adds a SUBJECT entry to the revocation feed (every token of `subject` issued before `now`).
pub async fn revoke_subject_tokens(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    subject: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO identity_token_revocations (id, kind, tenant_id, value, revoked_at) \
         VALUES ($1, 'SUBJECT', $2, $3, $4)",
        vec![
            text(siyu_core::id::new_string()),
            tenant_text(tenant),
            text(subject),
            ts(now),
        ],
    )
    .await?;
    Ok(())
}

fn split(value: &str) -> Vec<String> {
    value.split_whitespace().map(str::to_owned).collect()
}
