//! The claims of a Siyu access token and their conversion into a request [`Ctx`].

use serde::{Deserialize, Serialize};
use siyu_core::{Ctx, OrgPath, Principal, PrincipalKind, RoleGrant, TenantId};

use crate::error::AuthError;

/// A role claim of a staff token: the role and the org unit, as an `id/id/id` path from the
/// root, whose subtree it covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleClaim {
    /// Role name, e.g. `store_manager`.
    pub role: String,
    /// Org path in `id/id/id` form.
    pub org: String,
}

/// The `aud` claim, which JWT allows as one string or a list of strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    /// A single audience.
    One(String),
    /// Several audiences; the token is good for any of them.
    Many(Vec<String>),
}

impl Audience {
    /// True when `expected` is (one of) the audience(s).
    pub fn contains(&self, expected: &str) -> bool {
        match self {
            Self::One(aud) => aud == expected,
            Self::Many(auds) => auds.iter().any(|aud| aud == expected),
        }
    }
}

/// The claims of an access token, as identity issues them and services verify them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Subject: consumer id, staff id, partner client id or service name.
    pub sub: String,
    /// The tenant the token acts in.
    pub tenant: TenantId,
    /// What kind of caller this is.
    pub kind: PrincipalKind,
    /// Roles on org units; staff only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<RoleClaim>,
    /// OAuth scopes; partners and services.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Not before, seconds since the epoch; absent means "from issuance".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Issuer, e.g. `https://identity.siyu/`.
    pub iss: String,
    /// Audience(s) the token is meant for.
    pub aud: Audience,
    /// Token id, for audit and revocation.
    pub jti: String,
    /// The partner's OAuth client id; required for partner tokens, absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}

impl Claims {
    /// Builds the request context these claims grant.
    ///
    /// Refuses combinations that would hand out more than identity meant to: role grants on
    /// anything but a staff token, or a partner token without its client id.
    pub fn to_ctx(&self) -> Result<Ctx, AuthError> {
        if self.sub.is_empty() {
            return Err(AuthError::InvalidClaims("empty sub".into()));
        }
        if self.kind != PrincipalKind::Staff && !self.roles.is_empty() {
            return Err(AuthError::InvalidClaims(
                "roles on a non-staff token".into(),
            ));
        }
        match (self.kind, &self.client_id) {
            (PrincipalKind::Partner, None) => {
                return Err(AuthError::InvalidClaims(
                    "partner token without client_id".into(),
                ));
            }
            (PrincipalKind::Partner, Some(_)) | (_, None) => {}
            (_, Some(_)) => {
                return Err(AuthError::InvalidClaims(
                    "client_id on a non-partner token".into(),
                ));
            }
        }
        let grants = self
            .roles
            .iter()
            .map(|claim| {
                OrgPath::parse(&claim.org)
                    .map(|org| RoleGrant {
                        role: claim.role.clone(),
                        org,
                    })
                    .map_err(|_| {
                        AuthError::InvalidClaims(format!("bad org path for role {}", claim.role))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let principal = Principal {
            subject: self.sub.clone(),
            kind: self.kind,
            grants,
            scopes: self.scopes.clone(),
            token_id: Some(self.jti.clone()),
        };
        Ok(Ctx::new(self.tenant, principal))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff_claims(org: &str) -> Claims {
        Claims {
            sub: "staff-1".into(),
            tenant: TenantId::parse("0190b1c2-0000-7000-8000-000000000001").unwrap(),
            kind: PrincipalKind::Staff,
            roles: vec![RoleClaim {
                role: "store_manager".into(),
                org: org.into(),
            }],
            scopes: vec![],
            exp: 2,
            nbf: None,
            iat: 1,
            iss: "iss".into(),
            aud: Audience::One("aud".into()),
            jti: "j1".into(),
            client_id: None,
        }
    }

    #[test]
    fn staff_claims_become_grants_on_org_paths() {
        let hq = "0190b1c2-0000-7000-8000-00000000000a";
        let store = "0190b1c2-0000-7000-8000-00000000000b";
        let ctx = staff_claims(&format!("{hq}/{store}")).to_ctx().unwrap();
        assert_eq!(
            ctx.principal.grants[0].org.to_path_string(),
            format!("{hq}/{store}")
        );
        assert_eq!(ctx.principal.token_id.as_deref(), Some("j1"));
    }

    #[test]
    fn bad_org_paths_and_misplaced_claims_are_refused() {
        assert!(matches!(
            staff_claims("not-a-uuid").to_ctx(),
            Err(AuthError::InvalidClaims(_))
        ));

        let mut consumer = staff_claims("0190b1c2-0000-7000-8000-00000000000a");
        consumer.kind = PrincipalKind::Consumer;
        assert!(matches!(
            consumer.to_ctx(),
            Err(AuthError::InvalidClaims(_))
        ));

        let mut partner = staff_claims("x");
        partner.kind = PrincipalKind::Partner;
        partner.roles.clear();
        assert!(matches!(partner.to_ctx(), Err(AuthError::InvalidClaims(_))));
        partner.client_id = Some("pos-1".into());
        assert!(partner.to_ctx().is_ok());
    }

    #[test]
    fn audience_accepts_a_string_or_a_list() {
        let one: Audience = serde_json::from_str("\"a\"").unwrap();
        let many: Audience = serde_json::from_str("[\"b\",\"a\"]").unwrap();
        assert!(one.contains("a") && many.contains("a") && !many.contains("c"));
    }
}
