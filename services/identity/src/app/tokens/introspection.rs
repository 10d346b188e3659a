//! RFC 7662 token introspection (IntrospectToken) for partners and services: a token is active
//! when it verifies against the key ring and, for session and partner tokens, its session or
//! its client's token generation is still live.

use siyu_auth::Claims;
use siyu_core::PrincipalKind;

use crate::app::tokens::sessions::sid_of;
use crate::app::{App, kind_name};
use crate::error::AppError;
use crate::repo::partners::clients as repo;
use crate::repo::staff::accounts as staff_repo;

/// What introspection reports about an active token.
#[derive(Debug, Clone)]
pub struct Introspection {
    /// The verified claims.
    pub claims: Claims,
    /// Partner client name or staff login name.
    pub username: String,
}

impl App {
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
        let tenant = claims.tenant;
        let username = match claims.kind {
            PrincipalKind::Partner => match repo::get(&self.db, tenant, &claims.sub).await? {
                Some(c) if self.partner_token_live(&claims).await? => c.name,
                _ => return Ok(None),
            },
            PrincipalKind::Staff | PrincipalKind::Consumer => {
                let live = match sid_of(&claims.jti) {
                    Some(sid) => self.session_is_live(tenant, sid).await?,
                    None => false,
                };
                if !live {
                    return Ok(None);
                }
                if claims.kind == PrincipalKind::Staff {
                    staff_repo::get(&self.db, tenant, &claims.sub)
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
}

/// The wire name of a token's kind.
pub fn token_kind(claims: &Claims) -> &'static str {
    kind_name(claims.kind)
}
