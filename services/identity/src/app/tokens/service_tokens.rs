//! Internal service tokens (IssueServiceToken): short-lived `kind=service` tokens for the
//! services configured in `service_tokens.clients`, authenticated by a hashed credential, in one
//! tenant — or in the platform tenant for the services configured with `platform` (the gateway,
//! which forwards PSP notifications before any tenant is known).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use siyu_core::{PrincipalKind, TenantId};

use crate::app::App;
use crate::crypto::{digest_eq, sha256_hex};
use crate::error::AppError;
use crate::repo::tenancy::tenants as tenant_repo;

/// Lifetime of a service token.
const SERVICE_TOKEN_SECS: i64 = 300;

/// The tenant a service token is asked for.
#[derive(Debug, Clone, Copy)]
pub enum ServiceTenant {
    /// One tenant, by id (the tenant of the event being handled).
    Tenant(TenantId),
    /// The platform tenant.
    Platform,
}

/// An issued service token.
#[derive(Debug, Clone)]
pub struct ServiceToken {
    /// The access JWT.
    pub access_token: String,
    /// Its expiry.
    pub expires_at: DateTime<Utc>,
    /// The tenant it acts in.
    pub tenant_id: TenantId,
}

impl App {
    /// IssueServiceToken: a 5-minute kind=service token for a configured service.
    #[tracing::instrument(skip_all, fields(service))]
    pub async fn issue_service_token(
        &self,
        service: &str,
        credential: &str,
        tenant: ServiceTenant,
        scopes: &[String],
    ) -> Result<ServiceToken, AppError> {
        let presented = sha256_hex(credential);
        let configured = self
            .settings
            .service_tokens
            .clients
            .iter()
            .find(|c| c.name == service && digest_eq(&presented, &c.credential_sha256))
            .ok_or(AppError::ServiceCredentialsInvalid)?;
        let scopes = if scopes.is_empty() {
            configured.scopes.clone()
        } else if let Some(bad) = scopes.iter().find(|s| !configured.scopes.contains(s)) {
            return Err(AppError::InvalidWithMeta {
                reason: "UNKNOWN_SCOPE",
                field: "scopes".into(),
                description: "is not configured for the service".into(),
                meta: BTreeMap::from([("scope".to_owned(), bad.clone())]),
            });
        } else {
            scopes.to_vec()
        };
        let found = match tenant {
            ServiceTenant::Tenant(id) => tenant_repo::get(&self.db, id).await?,
            ServiceTenant::Platform if configured.platform => {
                tenant_repo::by_code(&self.db, &self.settings.platform.tenant_code)
                    .await?
                    .filter(|t| t.is_platform)
            }
            ServiceTenant::Platform => {
                return Err(AppError::PlatformTokenNotAllowed);
            }
        };
        let tenant_id = found.ok_or(AppError::TenantNotFound)?.id;
        let (access_token, expires_at) = self.sign_access(
            tenant_id,
            PrincipalKind::Service,
            service,
            Vec::new(),
            scopes,
            None,
            None,
            Some(Duration::seconds(SERVICE_TOKEN_SECS)),
        )?;
        Ok(ServiceToken {
            access_token,
            expires_at,
            tenant_id,
        })
    }
}
