//! Consent records (RecordConsent, ListConsents): an append-only history per user; withdrawals
//! are audited. Recorded under the user's row lock, like erasure, so no consent detail lands on
//! an ERASED user.

use std::collections::BTreeMap;

use sea_orm::ConnectionTrait;

use siyu_core::TenantId;

use crate::app::consumers::users::writable;
use crate::app::{Actor, App};
use crate::error::AppError;
use crate::repo::audit::AuditOutcome;
use crate::repo::audit::chain::{self as audit_repo, NewEntry};
use crate::repo::consumers::identities as identities_repo;
use crate::repo::consumers::users as users_repo;
use crate::repo::privacy::consents::{self as repo, Consent};
use crate::repo::privacy::{ConsentChannel, ConsentKind};

/// A consent event to record.
#[derive(Debug, Clone)]
pub struct NewConsent {
    /// What it is about.
    pub kind: ConsentKind,
    /// The channel (MARKETING only).
    pub channel: Option<ConsentChannel>,
    /// The document version.
    pub version: String,
    /// Granted or withdrawn.
    pub granted: bool,
    /// Where given.
    pub source: String,
    /// The client IP, masked.
    pub ip_masked: String,
}

impl App {
    /// Appends a consent record; withdrawals are audited (CONSENT_RECORDED).
    #[tracing::instrument(skip_all, fields(tenant, user = id))]
    pub async fn record_consent(
        &self,
        txn: &impl ConnectionTrait,
        tenant: TenantId,
        id: &str,
        consent: NewConsent,
        actor: &Actor,
    ) -> Result<Consent, AppError> {
        let now = self.clock.now();
        // Under the user's lock, like erasure: no consent detail lands on an ERASED user.
        let user = identities_repo::lock_users(txn, tenant, &[id])
            .await?
            .pop()
            .ok_or(AppError::UserNotFound)?;
        writable(&user)?;
        let row = Consent {
            id: siyu_core::id::new_string(),
            user_id: id.to_owned(),
            kind: consent.kind,
            channel: consent.channel,
            version: consent.version,
            granted: consent.granted,
            source: consent.source,
            ip_masked: consent.ip_masked,
            created_at: crate::repo::micros(now),
        };
        repo::insert_consent(txn, tenant, &row).await?;
        if !row.granted {
            let mut details = BTreeMap::new();
            details.insert("consent_id".to_owned(), row.id.clone());
            details.insert("kind".to_owned(), row.kind.as_str().to_owned());
            details.insert(
                "channel".to_owned(),
                row.channel
                    .map(ConsentChannel::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            );
            audit_repo::append(
                txn,
                tenant,
                NewEntry {
                    kind: "CONSENT_RECORDED",
                    outcome: AuditOutcome::Success,
                    actor_kind: actor.kind.clone(),
                    actor_id: actor.id.clone(),
                    target_kind: "user".into(),
                    target_id: id.to_owned(),
                    details,
                },
                now,
            )
            .await?;
        }
        Ok(row)
    }

    /// A user's consent history (newest first).
    #[tracing::instrument(skip_all, fields(tenant, user = id))]
    pub async fn consents(&self, tenant: TenantId, id: &str) -> Result<Vec<Consent>, AppError> {
        users_repo::get(&self.db, tenant, id)
            .await?
            .ok_or(AppError::UserNotFound)?;
        repo::consents_of(&self.db, tenant, id).await
    }
}
