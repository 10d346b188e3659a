//! Partner clients of the open platform (开放平台): CreatePartnerClient (the secret shown once),
//! Get/List, UpdatePartnerClient (scopes, limits, IP allow-list, token revocation) and
//! RevokePartnerClient, each audited.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, PrincipalKind, TenantId};

use crate::app::App;
use crate::app::partners::secret_rotation::new_secret;
use crate::error::AppError;
use crate::repo::audit::AuditOutcome;
use crate::repo::audit::chain::{self as audit_repo, NewEntry};
use crate::repo::partners::PartnerStatus;
use crate::repo::partners::clients::{self as repo, PartnerClient};

/// The settable fields of a client (already range-checked by the wire layer).
#[derive(Debug, Clone, Default)]
pub struct PartnerSpec {
    /// Display name.
    pub name: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// Allowed scopes.
    pub scopes: Option<Vec<String>>,
    /// Requests per minute.
    pub rate_limit_per_minute: Option<i32>,
    /// Burst.
    pub rate_limit_burst: Option<i32>,
    /// IPs / CIDR blocks.
    pub ip_allow_list: Option<Vec<String>>,
    /// Token lifetime.
    pub token_ttl_secs: Option<i32>,
}

impl App {
    /// A client of the tenant, or NOT_FOUND PARTNER_CLIENT_NOT_FOUND.
    pub async fn partner(
        &self,
        conn: &impl ConnectionTrait,
        tenant: TenantId,
        id: &str,
    ) -> Result<PartnerClient, AppError> {
        repo::get(conn, tenant, id)
            .await?
            .ok_or(AppError::PartnerClientNotFound)
    }

    /// Clients of the tenant, newest first.
    pub async fn partners(
        &self,
        tenant: TenantId,
        status: Option<PartnerStatus>,
    ) -> Result<Vec<PartnerClient>, AppError> {
        repo::list(&self.db, tenant, status).await
    }

    /// The client a GetPartnerClient reads: a partner reads itself only (`named` empty or its
    /// own id; another client's id is NOT_FOUND, its existence nobody else's business); staff
    /// need one of the method's roles on the tenant root.
    pub async fn partner_for(
        &self,
        ctx: &Ctx,
        named: Option<&str>,
    ) -> Result<PartnerClient, AppError> {
        let tenant = ctx.tenant;
        let own = &ctx.principal.subject;
        let id = if ctx.principal.kind == PrincipalKind::Partner {
            match named {
                Some(id) if id != own => {
                    return Err(AppError::PartnerClientNotFound);
                }
                _ => own.as_str(),
            }
        } else {
            self.require_on_root(ctx).await?;
            named.ok_or_else(|| AppError::invalid("client_id", "is required"))?
        };
        self.partner(&self.db, tenant, id).await
    }

    /// CreatePartnerClient: returns the client and its secret (shown once).
    #[tracing::instrument(skip_all, fields(tenant))]
    pub async fn create_partner(
        &self,
        txn: &impl ConnectionTrait,
        tenant: TenantId,
        actor: (&str, &str),
        spec: PartnerSpec,
    ) -> Result<(PartnerClient, String), AppError> {
        let now = self.clock.now();
        let (hash, last4, secret) = new_secret()?;
        let per_minute = spec.rate_limit_per_minute.unwrap_or(600);
        let row = PartnerClient {
            client_id: siyu_core::id::new_string(),
            tenant_id: tenant,
            name: spec.name.unwrap_or_default(),
            description: spec.description.unwrap_or_default(),
            secret_hash: hash,
            scopes: spec.scopes.unwrap_or_default(),
            status: PartnerStatus::Active,
            token_ttl_secs: spec.token_ttl_secs.unwrap_or(3600),
            rate_limit_per_minute: per_minute,
            rate_limit_burst: spec.rate_limit_burst.unwrap_or((per_minute / 10).max(1)),
            ip_allow_list: spec.ip_allow_list.unwrap_or_default(),
            secret_last4: last4,
            secret_created_at: Some(now),
            previous_secret_hash: None,
            previous_secret_expires_at: None,
            created_by: actor.1.to_owned(),
            last_token_at: None,
            version: 1,
            token_generation: 0,
            created_at: now,
            updated_at: now,
        };
        repo::insert(txn, &row).await?;
        let details = BTreeMap::from([("scopes".to_owned(), row.scopes.join(" "))]);
        self.audit_partner(txn, &row, "PARTNER_CLIENT_CREATED", actor, details, now)
            .await?;
        Ok((row, secret))
    }

    /// UpdatePartnerClient.
    #[tracing::instrument(skip_all, fields(tenant, client = id))]
    #[allow(clippy::too_many_arguments, reason = "one flat request")]
    pub async fn update_partner(
        &self,
        txn: &impl ConnectionTrait,
        tenant: TenantId,
        actor: (&str, &str),
        id: &str,
        etag: &str,
        spec: PartnerSpec,
        revoke_tokens: bool,
    ) -> Result<PartnerClient, AppError> {
        let now = self.clock.now();
        let current = self.partner(txn, tenant, id).await?;
        if current.status != PartnerStatus::Active {
            return Err(AppError::ClientRevoked);
        }
        if current.version.to_string() != etag {
            return Err(AppError::ConcurrentModification);
        }
        let mut row = current.clone();
        let scopes_changed = spec.scopes.as_ref().is_some_and(|s| *s != current.scopes);
        if let Some(v) = spec.name {
            row.name = v;
        }
        if let Some(v) = spec.description {
            row.description = v;
        }
        if let Some(v) = spec.scopes {
            row.scopes = v;
        }
        if let Some(v) = spec.rate_limit_per_minute {
            row.rate_limit_per_minute = v;
        }
        if let Some(v) = spec.rate_limit_burst {
            row.rate_limit_burst = v;
        }
        if let Some(v) = spec.ip_allow_list {
            row.ip_allow_list = v;
        }
        if let Some(v) = spec.token_ttl_secs {
            row.token_ttl_secs = v;
        }
        if revoke_tokens {
            row.token_generation += 1;
            repo::revoke_subject_tokens(txn, tenant, id, now).await?;
        }
        row.version += 1;
        row.updated_at = now;
        if repo::update(txn, &row, current.version).await? == 0 {
            return Err(AppError::ConcurrentModification);
        }
        let kind = if scopes_changed {
            "PARTNER_SCOPES_CHANGED"
        } else {
            "PARTNER_CLIENT_UPDATED"
        };
        let details = BTreeMap::from([
            ("scopes".to_owned(), row.scopes.join(" ")),
            ("revoke_tokens".to_owned(), revoke_tokens.to_string()),
        ]);
        self.audit_partner(txn, &row, kind, actor, details, now)
            .await?;
        Ok(row)
    }

    /// RevokePartnerClient: irreversible; every issued token stops (revoking twice succeeds).
    #[tracing::instrument(skip_all, fields(tenant, client = id))]
    pub async fn revoke_partner(
        &self,
        txn: &impl ConnectionTrait,
        tenant: TenantId,
        actor: (&str, &str),
        id: &str,
        reason: &str,
    ) -> Result<PartnerClient, AppError> {
        let now = self.clock.now();
        let current = self.partner(txn, tenant, id).await?;
        if current.status == PartnerStatus::Revoked {
            return Ok(current);
        }
        let mut row = current.clone();
        row.status = PartnerStatus::Revoked;
        row.previous_secret_hash = None;
        row.previous_secret_expires_at = None;
        row.version += 1;
        row.updated_at = now;
        if repo::update(txn, &row, current.version).await? == 0 {
            return Err(AppError::ConcurrentModification);
        }
        repo::revoke_subject_tokens(txn, tenant, id, now).await?;
        let details = BTreeMap::from([("reason".to_owned(), reason.to_owned())]);
        self.audit_partner(txn, &row, "PARTNER_CLIENT_REVOKED", actor, details, now)
            .await?;
        Ok(row)
    }

    pub(crate) async fn audit_partner(
        &self,
        txn: &impl ConnectionTrait,
        row: &PartnerClient,
        kind: &'static str,
        actor: (&str, &str),
        details: BTreeMap<String, String>,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        audit_repo::append(
            txn,
            row.tenant_id,
            NewEntry {
                kind,
                outcome: if kind == "PARTNER_AUTH_FAILED" {
                    AuditOutcome::Failure
                } else {
                    AuditOutcome::Success
                },
                actor_kind: actor.0.to_owned(),
                actor_id: actor.1.to_owned(),
                target_kind: "partner".into(),
                target_id: row.client_id.clone(),
                details,
            },
            now,
        )
        .await?;
        Ok(())
    }
}
