//! Relational database connection and pool.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::mask::serialize_masked_url;
use crate::validate::{Validate, Violations, require_scheme};

/// Database URL and pool sizing; the backend is chosen by the URL's scheme.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `postgres://…` or `sqlite://…`; secret because it usually carries a password.
    #[serde(serialize_with = "serialize_masked_url")]
    pub url: SecretString,
    /// Most connections the pool opens.
    pub max_connections: u32,
    /// Connections the pool keeps open while idle.
    pub min_connections: u32,
    /// Seconds to wait for a new connection before failing (fail fast, per quality.md).
    pub connect_timeout_secs: u64,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        // The local development server (trust auth), so `cargo run` works out of the box.
        Self::new("postgres://postgres@127.0.0.1:5432/postgres")
    }
}

impl DatabaseSettings {
    /// Settings for `url` with the default pool sizes; services use it for their defaults.
    pub fn new(url: &str) -> Self {
        Self {
            url: SecretString::from(url),
            max_connections: 10,
            min_connections: 0,
            connect_timeout_secs: 5,
        }
    }
}

impl Validate for DatabaseSettings {
    fn validate(&self, v: &mut Violations) {
        require_scheme(
            v,
            "url",
            self.url.expose_secret(),
            &["postgres", "postgresql", "sqlite"],
        );
        v.check(
            self.max_connections >= 1,
            "max_connections",
            "must be at least 1",
        );
        v.check(
            self.min_connections <= self.max_connections,
            "min_connections",
            "must not exceed max_connections",
        );
        v.check(
            self.connect_timeout_secs >= 1,
            "connect_timeout_secs",
            "must be at least 1",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_violation_is_reported() {
        let bad = DatabaseSettings {
            url: SecretString::from("mysql://root:pw@db/x"),
            max_connections: 0,
            min_connections: 1,
            connect_timeout_secs: 0,
        };
        let mut v = Violations::new();
        v.nested("database", &bad);
        let errors = v.into_result().unwrap_err();
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "database.url",
                "database.max_connections",
                "database.min_connections",
                "database.connect_timeout_secs"
            ]
        );
        assert!(!errors.to_string().contains("pw@"));
    }

    #[test]
    fn debug_hides_the_url() {
        let s = DatabaseSettings::new("postgres://siyu:hunter2@db/identity");
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
