//! Cache backend (Redis, or in-process memory for embedded mode).

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::mask::serialize_masked_url;
use crate::validate::{Validate, Violations, require_scheme};

/// Cache URL and the prefix that keeps this service's keys apart from others (and tests').
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CacheSettings {
    /// `redis://`, `rediss://` or `memory://`; secret because Redis URLs carry passwords.
    #[serde(serialize_with = "serialize_masked_url")]
    pub url: SecretString,
    /// Prepended to every key, e.g. `siyu:identity:`.
    pub key_prefix: String,
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self {
            url: SecretString::from("memory://"),
            key_prefix: "siyu:".to_owned(),
        }
    }
}

impl Validate for CacheSettings {
    fn validate(&self, v: &mut Violations) {
        require_scheme(
            v,
            "url",
            self.url.expose_secret(),
            &["redis", "rediss", "memory"],
        );
        v.check(
            !self.key_prefix.is_empty() && self.key_prefix.len() <= 64,
            "key_prefix",
            "must be 1 to 64 characters",
        );
        v.check(
            !self.key_prefix.chars().any(char::is_whitespace),
            "key_prefix",
            "must not contain whitespace",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_other_schemes_and_blank_prefix() {
        let bad = CacheSettings {
            url: SecretString::from("memcached://x"),
            key_prefix: String::new(),
        };
        let mut v = Violations::new();
        bad.validate(&mut v);
        let errors = v.into_result().unwrap_err();
        assert_eq!(
            errors.get("url").unwrap().message,
            "must start with redis://, rediss:// or memory://"
        );
        assert!(errors.get("key_prefix").is_some());
    }
}
