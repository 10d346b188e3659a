//! Tokens without sessions: the OAuth2 client-credentials grant for partners (RFC 6749 §4.4),
//! RFC 7662 introspection, and internal service tokens.
//!
//! Partner tokens carry `jti = "<token generation>.<id>"`: UpdatePartnerClient with
//! `revoke_tokens` bumps the client's generation, so every earlier token stops at identity at
//! once (and enters the revocation feed for the other services).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use siyu_auth::Claims;
use siyu_core::PrincipalKind;

use crate::app::App;
use crate::app::partners::{Cidr, digest_eq};
use crate::app::sessions::{kind_name, sid_of};
use crate::crypto::sha256_hex;
use crate::error::AppError;
use crate::repo::partners::{self as repo, PartnerRow};
use crate::repo::{staff as staff_repo, tenants as tenant_repo};

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

/// What introspection reports about an active token.
#[derive(Debug, Clone)]
pub struct Introspection {
    /// The verified claims.
    pub claims: Claims,
    /// Partner client name or staff login name.
    pub username: String,
}

/// Lifetime of a service token.
const SERVICE_TOKEN_SECS: i64 = 300;

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
            return Err(AppError::Unauthenticated("INVALID_CLIENT"));
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
                .auth_failed(
                    &client,
                    "bad_secret",
                    AppError::Unauthenticated("INVALID_CLIENT"),
                    now,
                )
                .await);
        }
        if client.status != "ACTIVE" {
            return Err(self
                .auth_failed(
                    &client,
                    "revoked",
                    AppError::PermissionDenied("CLIENT_REVOKED"),
                    now,
                )
                .await);
        }
        if !ip_allowed(&client.ip_allow_list, client_ip) {
            return Err(self
                .auth_failed(
                    &client,
                    "ip",
                    AppError::PermissionDenied("IP_NOT_ALLOWED"),
                    now,
                )
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
            &client.tenant_id,
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
        client: &PartnerRow,
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
        let Some(client) = repo::get(&self.db, &claims.tenant.to_string(), &claims.sub).await?
        else {
            return Ok(false);
        };
        let generation = sid_of(&claims.jti).unwrap_or_default();
        Ok(client.status == "ACTIVE" && client.token_generation.to_string() == generation)
    }

    /// IntrospectToken for `caller` (a partner sees only its own tokens, a service only its
    /// tenant's): `None` means `active = false`.
    #[tracing::instrument(skip_all)]
    pub async fn introspect(
        &self,
        caller: &siyu_core::Ctx,
        token: &str,
    ) -> Result<Option<Introspection>, AppError> {
        let Ok(claims) = self.keys.verify(token).await else {
            return Ok(None);
        };
        if claims.tenant != caller.tenant {
            return Ok(None);
        }
        if caller.principal.kind == PrincipalKind::Partner
            && (claims.kind != PrincipalKind::Partner || claims.sub != caller.principal.subject)
        {
            return Ok(None);
        }
        let tenant = claims.tenant.to_string();
        let username = match claims.kind {
            PrincipalKind::Partner => match repo::get(&self.db, &tenant, &claims.sub).await? {
                Some(c) if self.partner_token_live(&claims).await? => c.name,
                _ => return Ok(None),
            },
            PrincipalKind::Staff | PrincipalKind::Consumer => {
                let live = match sid_of(&claims.jti) {
                    Some(sid) => self.session_is_live(&tenant, sid).await?,
                    None => false,
                };
                if !live {
                    return Ok(None);
                }
                if claims.kind == PrincipalKind::Staff {
                    staff_repo::get(&self.db, &tenant, &claims.sub)
                        .await?
                        .map(|s| s.login_name)
                        .unwrap_or_default()
                } else {
                    String::new()
                }
            }
            PrincipalKind::Service => claims.sub.clone(),
        };
        Ok(Some(Introspection { claims, username }))
    }

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

/// The wire name of a token's kind.
pub fn token_kind(claims: &Claims) -> &'static str {
    kind_name(claims.kind)
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
