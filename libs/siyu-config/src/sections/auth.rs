//! Access-token verification.

use serde::{Deserialize, Serialize};

use crate::validate::{Validate, Violations, require_scheme};

/// Clock skew tolerated beyond this would let expired tokens live on noticeably.
const MAX_LEEWAY_SECS: u64 = 300;

/// Where verification keys come from and which tokens are accepted.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// JWKS document URL (`http://` or `https://`), served by identity.
    pub jwks_url: String,
    /// Required `iss` claim.
    pub issuer: String,
    /// Required `aud` claim.
    pub audience: String,
    /// Seconds of clock skew tolerated on `exp` and `nbf`.
    pub leeway_secs: u64,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            jwks_url: "http://127.0.0.1:8080/.well-known/jwks.json".to_owned(),
            issuer: "siyu-identity".to_owned(),
            audience: "siyu".to_owned(),
            leeway_secs: 30,
        }
    }
}

impl Validate for AuthSettings {
    fn validate(&self, v: &mut Violations) {
        require_scheme(v, "jwks_url", &self.jwks_url, &["http", "https"]);
        v.check(
            !self.issuer.trim().is_empty(),
            "issuer",
            "must not be empty",
        );
        v.check(
            !self.audience.trim().is_empty(),
            "audience",
            "must not be empty",
        );
        v.check(
            self.leeway_secs <= MAX_LEEWAY_SECS,
            "leeway_secs",
            format!("must be at most {MAX_LEEWAY_SECS}"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_pass_and_blank_claims_fail() {
        let mut v = Violations::new();
        AuthSettings::default().validate(&mut v);
        assert!(v.is_empty());

        let bad = AuthSettings {
            jwks_url: "ftp://x".into(),
            issuer: " ".into(),
            audience: String::new(),
            leeway_secs: 3600,
        };
        let mut v = Violations::new();
        bad.validate(&mut v);
        assert_eq!(v.into_result().unwrap_err().0.len(), 4);
    }
}
