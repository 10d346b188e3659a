//! Erasure (注销): the statements that remove a user's personal data, and the erasure record.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};
use siyu_core::TenantId;

use crate::error::AppError;
use crate::repo::consumers::UserStatus;
use crate::repo::{execute, fetch_all, fetch_one, ids, tenant_text, text, ts};

/// A value column.
#[derive(Debug, FromQueryResult)]
struct ValueRow {
    value: String,
}

/// An erasure time row.
#[derive(Debug, FromQueryResult)]
struct ErasedRow {
    erased_at: DateTime<Utc>,
}

/// Removes every identity linked to the user; returns the removed PHONE values (their OTP rows
/// go too).
pub async fn delete_identities(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user_id: &str,
) -> Result<Vec<String>, AppError> {
    let phones = fetch_all::<ValueRow>(
        conn,
        "SELECT value FROM identity_user_identities \
         WHERE tenant_id = $1 AND user_id = $2 AND kind = 'PHONE'",
        vec![tenant_text(tenant), text(user_id)],
    )
    .await?
    .into_iter()
    .map(|r| r.value)
    .collect();
    execute(
        conn,
        "DELETE FROM identity_user_identities WHERE tenant_id = $1 AND user_id = $2",
        vec![tenant_text(tenant), text(user_id)],
    )
    .await?;
    Ok(phones)
}

/// Clears profile and phone; `status` = ERASED for the erased user, unchanged (`None`) for a
/// tombstone merged into it.
pub async fn clear_user(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user_id: &str,
    status: Option<UserStatus>,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    execute(
        conn,
        "UPDATE identity_users SET status = COALESCE($3, status), nickname = '', \
         avatar_url = '', gender = '', birthday = '', phone = NULL, updated_at = $4 \
         WHERE tenant_id = $1 AND id = $2",
        vec![
            tenant_text(tenant),
            text(user_id),
            sea_orm::Value::String(status.map(|s| s.as_str().to_owned())),
            ts(now),
        ],
    )
    .await
}

/// Keeps consent records as anonymous facts (kind, channel, version, granted, time) and drops
/// their details (source, masked IP).
pub async fn scrub_consents(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user_id: &str,
) -> Result<u64, AppError> {
    execute(
        conn,
        "UPDATE identity_user_consents SET source = '', ip_masked = '' \
         WHERE tenant_id = $1 AND user_id = $2",
        vec![tenant_text(tenant), text(user_id)],
    )
    .await
}

/// Drops the client details (user agent, masked IP) of every session of the user.
pub async fn scrub_sessions(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user_id: &str,
) -> Result<u64, AppError> {
    execute(
        conn,
        "UPDATE identity_sessions SET user_agent = '', ip_masked = '' \
         WHERE tenant_id = $1 AND subject_id = $2",
        vec![tenant_text(tenant), text(user_id)],
    )
    .await
}

/// Deletes the OTPs sent to a number.
pub async fn delete_otps(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    phone: &str,
) -> Result<u64, AppError> {
    execute(
        conn,
        "DELETE FROM identity_phone_otps WHERE tenant_id = $1 AND phone = $2",
        vec![tenant_text(tenant), text(phone)],
    )
    .await
}

/// Ids of the users merged into `user_id` (their tombstones may still hold a profile).
pub async fn merged_into(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user_id: &str,
) -> Result<Vec<String>, AppError> {
    ids(
        conn,
        "SELECT id FROM identity_users WHERE tenant_id = $1 AND merged_into = $2 ORDER BY id",
        vec![tenant_text(tenant), text(user_id)],
    )
    .await
}

/// Records the erasure (the one record kept about it).
pub async fn insert_record(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user_id: &str,
    requested_by: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO identity_user_erasures (user_id, tenant_id, requested_by, erased_at) \
         VALUES ($1,$2,$3,$4)",
        vec![
            text(user_id),
            tenant_text(tenant),
            text(requested_by),
            ts(now),
        ],
    )
    .await?;
    Ok(())
}

/// When the user was erased, if it was.
pub async fn erased_at(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user_id: &str,
) -> Result<Option<DateTime<Utc>>, AppError> {
    Ok(fetch_one::<ErasedRow>(
        conn,
        "SELECT erased_at FROM identity_user_erasures WHERE tenant_id = $1 AND user_id = $2",
        vec![tenant_text(tenant), text(user_id)],
    )
    .await?
    .map(|r| r.erased_at))
}
