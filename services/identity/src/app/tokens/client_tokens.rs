//! Partner tokens: the OAuth2 client-credentials grant (RFC 6749 §4.4, IssueClientToken), with
//! the current or the previous (still in grace) client secret, the client's IP allow-list and
//! scopes, and the liveness check of a presented partner token.
//!
//! Partner tokens carry `jti = "<token generation>.<id>"`: UpdatePartnerClient with
//! `revoke_tokens` bumps the client's generation, so every earlier token stops at identity at
//! once (and enters the revocation feed for the other services).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use siyu_auth::Claims;
use siyu_core::PrincipalKind;

use crate::app::App;
use crate::app::partners::allow_lists::Cidr;
use crate::app::tokens::sessions::sid_of;
use crate::crypto::{digest_eq, sha256_hex};
use crate::error::AppError;
use crate::repo::partners::PartnerStatus;
use crate::repo::partners::clients::{self as repo, PartnerClient};

/// A client-credentials grant.
#[derive(Debug, Clone)]
pub struct ClientGrant {
    /// The access JWT.
    pub access_token: String,
    /// Lifetime in seconds.
    pub expires_in: i32,
    /// Scopes granted.
    pub scopes: Vec<String>,
}

impl App {
    /// IssueClientToken: authenticates the client and signs a partner token. Failures are
    /// audited (PARTNER_AUTH_FAILED) in the client's tenant when the client exists.
    #[tracing::instrument(skip_all, fields(client = client_id))]
    pub async fn issue_client_token(
        &self,
        client_id: &str,
        secret: &str,
        scope: &str,
        client_ip: &str,
    ) -> Result<ClientGrant, AppError> {
        let now = self.clock.now();
        let Some(client) = repo::get_any(&self.db, client_id).await? else {
            return Err(AppError::InvalidClient);
        };
        let presented = sha256_hex(secret);
        let current_ok = digest_eq(&presented, &client.secret_hash);
        let previous_ok = client
            .previous_secret_hash
            .as_deref()
            .zip(client.previous_secret_expires_at)
            .is_some_and(|(hash, until)| until > now && digest_eq(&presented, hash));
        if !(current_ok || previous_ok) {
            return Err(self
                .auth_failed(&client, "bad_secret", AppError::InvalidClient, now)
                .await);
        }
        if client.status != PartnerStatus::Active {
            return Err(self
                .auth_failed(&client, "revoked", AppError::RevokedClientGrant, now)
                .await);
        }
        if !ip_allowed(&client.ip_allow_list, client_ip) {
            return Err(self
                .auth_failed(&client, "ip", AppError::IpNotAllowed, now)
                .await);
        }
        let requested: Vec<String> = scope.split_whitespace().map(str::to_owned).collect();
        let scopes = if requested.is_empty() {
            client.scopes.clone()
        } else if requested.iter().all(|s| client.scopes.contains(s)) {
            requested
        } else {
            let err =
                AppError::invalid_with("INVALID_SCOPE", "scope", "asks for a scope not allowed");
            return Err(self.auth_failed(&client, "scope", err, now).await);
        };
        let generation = client.token_generation.to_string();
        let (access_token, _) = self.sign_access(
            client.tenant_id,
            PrincipalKind::Partner,
            &client.client_id,
            Vec::new(),
            scopes.clone(),
            Some(&generation),
            Some(client.client_id.clone()),
            Some(Duration::seconds(i64::from(client.token_ttl_secs))),
        )?;
        repo::touch_last_token(&self.db, &client.client_id, now).await?;
        Ok(ClientGrant {
            access_token,
            expires_in: client.token_ttl_secs,
            scopes,
        })
    }

    /// Audits a failed grant and returns `err` (an audit failure is logged, not returned, so
    /// the caller still gets the documented answer).
    async fn auth_failed(
        &self,
        client: &PartnerClient,
        why: &str,
        err: AppError,
        now: DateTime<Utc>,
    ) -> AppError {
        let result = async {
            let txn = siyu_store::db::begin_write(&self.db).await?;
            let details = BTreeMap::from([("reason".to_owned(), why.to_owned())]);
            self.audit_partner(
                &txn,
                client,
                "PARTNER_AUTH_FAILED",
                ("partner", &client.client_id),
                details,
                now,
            )
            .await?;
            txn.commit().await?;
            Ok::<_, AppError>(())
        }
        .await;
        if let Err(audit_err) = result {
            tracing::warn!(error = %audit_err, "could not audit a failed client grant");
        }
        err
    }

    /// True when a verified partner token is still good: client active and same generation.
    pub async fn partner_token_live(&self, claims: &Claims) -> Result<bool, AppError> {
        let Some(client) = repo::get(&self.db, claims.tenant, &claims.sub).await? else {
            return Ok(false);
        };
        let generation = sid_of(&claims.jti).unwrap_or_default();
        Ok(client.status == PartnerStatus::Active
            && client.token_generation.to_string() == generation)
    }
}

fn ip_allowed(list: &[String], ip: &str) -> bool {
    if list.is_empty() {
        return true;
    }
    let Ok(ip) = ip.trim().parse() else {
        return false;
    };
    list.iter()
        .filter_map(|entry| Cidr::parse(entry))
        .any(|block| block.contains(ip))
}
