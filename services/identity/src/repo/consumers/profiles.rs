//! Consumer profiles (nickname, avatar, gender, birthday) and append-only consent records.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};

use crate::repo::{exec, one, text, ts};

/// The consumer-editable profile as stored ('' = not set).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// Nickname.
    pub nickname: String,
    /// HTTPS avatar URL.
    pub avatar_url: String,
    /// MALE, FEMALE, OTHER or ''.
    pub gender: String,
    /// YYYY-MM-DD or ''.
    pub birthday: String,
}

/// The profile of user `id` in `tenant`.
#[tracing::instrument(skip_all, fields(tenant))]
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: &str,
    id: &str,
) -> Result<Option<Profile>, DbErr> {
    one(
        conn,
        "SELECT nickname, avatar_url, gender, birthday FROM identity_users \
         WHERE tenant_id = $1 AND id = $2",
        vec![text(tenant), text(id)],
    )
    .await?
    .map(|row| {
        Ok(Profile {
            nickname: row.try_get("", "nickname")?,
            avatar_url: row.try_get("", "avatar_url")?,
            gender: row.try_get("", "gender")?,
            birthday: row.try_get("", "birthday")?,
        })
    })
    .transpose()
}

/// Writes the whole profile of user `id`.
#[tracing::instrument(skip_all, fields(tenant))]
pub async fn update(
    conn: &impl ConnectionTrait,
    tenant: &str,
    id: &str,
    p: &Profile,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    exec(
        conn,
        "UPDATE identity_users SET nickname = $3, avatar_url = $4, gender = $5, birthday = $6, \
         updated_at = $7 WHERE tenant_id = $1 AND id = $2",
        vec![
            text(tenant),
            text(id),
            text(&p.nickname),
            text(&p.avatar_url),
            text(&p.gender),
            text(&p.birthday),
            ts(now),
        ],
    )
    .await
}
