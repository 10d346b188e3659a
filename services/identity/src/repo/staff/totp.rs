//! Staff TOTP secrets (sealed), their replay guard, and recovery codes (hashed).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;

use crate::error::AppError;
use crate::repo::{execute, fetch_all, fetch_one, tenant_text, text, ts};

/// A staff member's TOTP secret.
#[derive(Debug, Clone)]
pub struct TotpSecret {
    /// `nonce || ciphertext` of the raw secret (crypto::Sealer).
    pub secret_sealed: Vec<u8>,
    /// Confirmed (false = pending enrolment).
    pub enabled: bool,
    /// The newest time step whose code was accepted.
    pub last_step: i64,
}

/// A TOTP row.
#[derive(Debug, FromQueryResult)]
struct TotpRow {
    secret_sealed: Vec<u8>,
    enabled: bool,
    last_step: i64,
}

/// A staff id row.
#[derive(Debug, FromQueryResult)]
struct StaffIdRow {
    staff_id: String,
}

/// The TOTP secret of a staff member in a tenant.
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    staff_id: &str,
) -> Result<Option<TotpSecret>, AppError> {
    Ok(fetch_one::<TotpRow>(
        conn,
        "SELECT secret_sealed, enabled, last_step FROM identity_staff_totp \
         WHERE tenant_id = $1 AND staff_id = $2",
        vec![tenant_text(tenant), text(staff_id)],
    )
    .await?
    .map(|r| TotpSecret {
        secret_sealed: r.secret_sealed,
        enabled: r.enabled,
        last_step: r.last_step,
    }))
}

/// Stores a pending secret, replacing an unconfirmed one (never an enabled one: the caller
/// checked, and the WHERE keeps a concurrent confirm from being overwritten).
pub async fn put_pending(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    staff_id: &str,
    sealed: &[u8],
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    execute(
        conn,
        "DELETE FROM identity_staff_totp WHERE tenant_id = $1 AND staff_id = $2 AND enabled = $3",
        vec![
            tenant_text(tenant),
            text(staff_id),
            Value::Bool(Some(false)),
        ],
    )
    .await?;
    let inserted = execute(
        conn,
        "INSERT INTO identity_staff_totp \
         (staff_id, tenant_id, secret_sealed, enabled, last_step, created_at, enabled_at) \
         VALUES ($1, $2, $3, $4, $5, $6, NULL) ON CONFLICT (staff_id) DO NOTHING",
        vec![
            text(staff_id),
            tenant_text(tenant),
            Value::Bytes(Some(sealed.to_vec())),
            Value::Bool(Some(false)),
            Value::BigInt(Some(-1)),
            ts(now),
        ],
    )
    .await?;
    Ok(inserted == 1)
}

/// Spends time step `step` if it is newer than the last one spent: the conditional UPDATE is
/// the replay guard (of concurrent presenters of one code exactly one gets `true`).
pub async fn spend_step(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    staff_id: &str,
    step: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE identity_staff_totp SET last_step = $1 \
         WHERE tenant_id = $2 AND staff_id = $3 AND last_step < $1",
        vec![
            Value::BigInt(Some(step)),
            tenant_text(tenant),
            text(staff_id),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// Marks the pending secret enabled.
pub async fn enable(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    staff_id: &str,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE identity_staff_totp SET enabled = $1, enabled_at = $2 \
         WHERE tenant_id = $3 AND staff_id = $4 AND enabled = $5",
        vec![
            Value::Bool(Some(true)),
            ts(now),
            tenant_text(tenant),
            text(staff_id),
            Value::Bool(Some(false)),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// Removes TOTP (secret and recovery codes); true when an enabled secret existed.
pub async fn remove(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    staff_id: &str,
) -> Result<bool, AppError> {
    let was_enabled = get(conn, tenant, staff_id)
        .await?
        .is_some_and(|t| t.enabled);
    execute(
        conn,
        "DELETE FROM identity_staff_recovery_codes WHERE tenant_id = $1 AND staff_id = $2",
        vec![tenant_text(tenant), text(staff_id)],
    )
    .await?;
    execute(
        conn,
        "DELETE FROM identity_staff_totp WHERE tenant_id = $1 AND staff_id = $2",
        vec![tenant_text(tenant), text(staff_id)],
    )
    .await?;
    Ok(was_enabled)
}

/// True when the staff member has TOTP enabled.
pub async fn is_enabled(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    staff_id: &str,
) -> Result<bool, AppError> {
    Ok(get(conn, tenant, staff_id)
        .await?
        .is_some_and(|t| t.enabled))
}

/// Ids of the tenant's staff with TOTP enabled (for list views).
pub async fn enabled_ids(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<HashSet<String>, AppError> {
    let rows = fetch_all::<StaffIdRow>(
        conn,
        "SELECT staff_id FROM identity_staff_totp WHERE tenant_id = $1 AND enabled = $2",
        vec![tenant_text(tenant), Value::Bool(Some(true))],
    )
    .await?;
    Ok(rows.into_iter().map(|r| r.staff_id).collect())
}

/// Replaces the recovery codes of a staff member with `hashes`.
pub async fn put_recovery_codes(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    staff_id: &str,
    hashes: &[String],
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    execute(
        conn,
        "DELETE FROM identity_staff_recovery_codes WHERE tenant_id = $1 AND staff_id = $2",
        vec![tenant_text(tenant), text(staff_id)],
    )
    .await?;
    for hash in hashes {
        execute(
            conn,
            "INSERT INTO identity_staff_recovery_codes \
             (id, tenant_id, staff_id, code_hash, used_at, created_at) \
             VALUES ($1, $2, $3, $4, NULL, $5)",
            vec![
                text(siyu_core::id::new_string()),
                tenant_text(tenant),
                text(staff_id),
                text(hash),
                ts(now),
            ],
        )
        .await?;
    }
    Ok(())
}

/// Spends an unused recovery code with hash `hash`; true when one was spent (the conditional
/// UPDATE makes each code single use under concurrency).
pub async fn spend_recovery_code(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    staff_id: &str,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE identity_staff_recovery_codes SET used_at = $1 \
         WHERE tenant_id = $2 AND staff_id = $3 AND code_hash = $4 AND used_at IS NULL",
        vec![ts(now), tenant_text(tenant), text(staff_id), text(hash)],
    )
    .await?;
    Ok(n >= 1)
}
