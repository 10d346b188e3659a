//! Customer-service look-ups (LookupUsers) and audited phone reveals (RevealUserPhone).

use std::collections::BTreeMap;

use chrono::{Duration, FixedOffset, TimeZone as _};

use siyu_core::TenantId;

use crate::app::consumers::users::UserView;
use crate::app::{Actor, App};
use crate::crypto::sha256_hex;
use crate::error::AppError;
use crate::repo::audit::AuditOutcome;
use crate::repo::audit::chain::{self as audit_repo, NewEntry};
use crate::repo::consumers::{IdentityKind, UserStatus};
use crate::repo::consumers::{lookups, profiles};

/// Reveals one staff member may make per day (Asia/Shanghai).
pub const REVEALS_PER_DAY: i64 = 50;

/// A look-up by one identity.
#[derive(Debug, Clone)]
pub struct Lookup<'a> {
    /// The identity's kind.
    pub kind: IdentityKind,
    /// App / corp id; None searches every app of the tenant.
    pub scope: Option<&'a str>,
    /// The exact value (phones in E.164).
    pub value: &'a str,
    /// Include MERGED and ERASED users.
    pub include_inactive: bool,
}

impl App {
    /// Users matching `q`; staff look-ups are audited (USER_LOOKUP, the value hashed).
    #[tracing::instrument(skip_all, fields(tenant, kind = q.kind.as_str()))]
    pub async fn lookup_users(
        &self,
        tenant: TenantId,
        q: Lookup<'_>,
        staff: Option<&Actor>,
    ) -> Result<Vec<UserView>, AppError> {
        let txn = siyu_store::db::begin_write(&self.db).await?;
        let users = lookups::users_by_identity(&txn, tenant, q.kind, q.scope, q.value).await?;
        let mut found = Vec::new();
        for user in users {
            if !q.include_inactive && matches!(user.status, UserStatus::Merged | UserStatus::Erased)
            {
                continue;
            }
            let profile = profiles::get(&txn, tenant, &user.id)
                .await?
                .unwrap_or_default();
            found.push(UserView { user, profile });
        }
        if let Some(actor) = staff {
            let mut details = BTreeMap::new();
            details.insert("identity_kind".to_owned(), q.kind.as_str().to_owned());
            details.insert("value_sha256".to_owned(), sha256_hex(q.value));
            details.insert("matches".to_owned(), found.len().to_string());
            audit_repo::append(
                &txn,
                tenant,
                NewEntry {
                    kind: "USER_LOOKUP",
                    outcome: AuditOutcome::Success,
                    actor_kind: actor.kind.clone(),
                    actor_id: actor.id.clone(),
                    target_kind: "user".into(),
                    target_id: String::new(),
                    details,
                },
                self.clock.now(),
            )
            .await?;
        }
        txn.commit().await?;
        Ok(found)
    }

    /// The full phone of a user for staff, audited (PHONE_REVEALED with the reason); more than
    /// [`REVEALS_PER_DAY`] per staff per Shanghai day is REVEAL_LIMIT. The count runs after the
    /// append, which holds the tenant's audit head lock, so concurrent reveals cannot overshoot.
    #[tracing::instrument(skip_all, fields(tenant, user = user_id))]
    pub async fn reveal_phone(
        &self,
        tenant: TenantId,
        user_id: &str,
        reason: &str,
        actor: &Actor,
    ) -> Result<String, AppError> {
        let now = self.clock.now();
        let txn = siyu_store::db::begin_write(&self.db).await?;
        let user = crate::repo::consumers::users::get(&txn, tenant, user_id)
            .await?
            .ok_or(AppError::UserNotFound)?;
        let phone = user.phone.ok_or(AppError::PhoneNotBound)?;
        let mut details = BTreeMap::new();
        details.insert("reason".to_owned(), reason.to_owned());
        audit_repo::append(
            &txn,
            tenant,
            NewEntry {
                kind: "PHONE_REVEALED",
                outcome: AuditOutcome::Success,
                actor_kind: actor.kind.clone(),
                actor_id: actor.id.clone(),
                target_kind: "user".into(),
                target_id: user_id.to_owned(),
                details,
            },
            now,
        )
        .await?;
        let shanghai = FixedOffset::east_opt(8 * 3600)
            .ok_or_else(|| AppError::Internal("UTC+8 offset".into()))?;
        let local = now.with_timezone(&shanghai).date_naive();
        let day_start = local
            .and_hms_opt(0, 0, 0)
            .and_then(|t| shanghai.from_local_datetime(&t).single())
            .map_or(now - Duration::days(1), |t| t.to_utc());
        let used = lookups::audit_count_since(&txn, tenant, "PHONE_REVEALED", &actor.id, day_start)
            .await?;
        if used > REVEALS_PER_DAY {
            txn.rollback().await?;
            return Err(AppError::ResourceExhausted {
                reason: "REVEAL_LIMIT",
                meta: BTreeMap::new(),
            });
        }
        txn.commit().await?;
        Ok(phone)
    }
}
