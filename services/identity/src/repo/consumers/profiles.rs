//! Consumer profiles (nickname, avatar, gender, birthday) and append-only consent records.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};
use siyu_core::TenantId;

use crate::error::AppError;
use crate::repo::consumers::Gender;
use crate::repo::{execute, fetch_one, stored, tenant_text, text, ts};

/// The consumer-editable profile as stored ('' = not set).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// Nickname.
    pub nickname: String,
    /// HTTPS avatar URL.
    pub avatar_url: String,
    /// Gender, if stated.
    pub gender: Option<Gender>,
    /// YYYY-MM-DD or ''.
    pub birthday: String,
}

/// A profile row ('' = not set).
#[derive(Debug, FromQueryResult)]
struct ProfileRow {
    nickname: String,
    avatar_url: String,
    gender: String,
    birthday: String,
}

impl TryFrom<ProfileRow> for Profile {
    type Error = AppError;

    fn try_from(r: ProfileRow) -> Result<Self, AppError> {
        let gender = match r.gender.as_str() {
            "" => None,
            stated => Some(stored("identity_users", stated)?),
        };
        Ok(Self {
            nickname: r.nickname,
            avatar_url: r.avatar_url,
            gender,
            birthday: r.birthday,
        })
    }
}

/// The profile of user `id` in `tenant`.
#[tracing::instrument(skip_all, fields(tenant))]
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: &str,
) -> Result<Option<Profile>, AppError> {
    fetch_one::<ProfileRow>(
        conn,
        "SELECT nickname, avatar_url, gender, birthday FROM identity_users \
         WHERE tenant_id = $1 AND id = $2",
        vec![tenant_text(tenant), text(id)],
    )
    .await?
    .map(Profile::try_from)
    .transpose()
}

/// Writes the whole profile of user `id`.
#[tracing::instrument(skip_all, fields(tenant))]
pub async fn update(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: &str,
    p: &Profile,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    execute(
        conn,
        "UPDATE identity_users SET nickname = $3, avatar_url = $4, gender = $5, birthday = $6, \
         updated_at = $7 WHERE tenant_id = $1 AND id = $2",
        vec![
            tenant_text(tenant),
            text(id),
            text(&p.nickname),
            text(&p.avatar_url),
            text(p.gender.map(Gender::as_str).unwrap_or_default()),
            text(&p.birthday),
            ts(now),
        ],
    )
    .await
}
