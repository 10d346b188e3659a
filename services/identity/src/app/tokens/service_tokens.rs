//! Internal service tokens (IssueServiceToken): short-lived `kind=service` tokens for the
//! services configured in `service_tokens.clients`, authenticated by a hashed credential.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use siyu_core::PrincipalKind;

use crate::app::App;
use crate::crypto::{digest_eq, sha256_hex};
use crate::error::AppError;
use crate::repo::tenancy::tenants as tenant_repo;

/// Lifetime of a service token.
const SERVICE_TOKEN_SECS: i64 = 300;

impl App {
    /// IssueServiceToken: a 5-minute kind=service token for a configured service.
    #[tracing::instrument(skip_all, fields(service))]
    pub async fn issue_service_token(
        &self,
        service: &str,
        credential: &str,
        tenant: &str,
        scopes: &[String],
    ) -> Result<(String, DateTime<Utc>), AppError> {
        let presented = sha256_hex(credential);
        let configured = self
            .settings
            .service_tokens
            .clients
            .iter()
            .find(|c| c.name == service && digest_eq(&presented, &c.credential_sha256))
            .ok_or(AppError::Unauthenticated("SERVICE_CREDENTIALS_INVALID"))?;
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
        tenant_repo::get(&self.db, tenant)
            .await?
            .ok_or(AppError::NotFound("TENANT_NOT_FOUND"))?;
        self.sign_access(
            tenant,
            PrincipalKind::Service,
            service,
            Vec::new(),
            scopes,
            None,
            None,
            Some(Duration::seconds(SERVICE_TOKEN_SECS)),
        )
    }
}
