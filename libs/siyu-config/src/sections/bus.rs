//! Event bus (NATS JetStream, or in-process memory for embedded mode).

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::mask::serialize_masked_url;
use crate::validate::{Validate, Violations, require_scheme};

/// Bus URL, the subject prefix every subject starts with, and the JetStream stream name.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct BusSettings {
    /// `nats://`, `tls://` or `memory://`; secret because NATS URLs carry tokens.
    #[serde(serialize_with = "serialize_masked_url")]
    pub url: SecretString,
    /// First subject tokens, e.g. `siyu` or a per-test `t42.siyu`.
    pub subject_prefix: String,
    /// JetStream stream that captures `{subject_prefix}.>`.
    pub stream: String,
}

impl Default for BusSettings {
    fn default() -> Self {
        Self {
            url: SecretString::from("memory://"),
            subject_prefix: "siyu".to_owned(),
            stream: "SIYU".to_owned(),
        }
    }
}

impl Validate for BusSettings {
    fn validate(&self, v: &mut Violations) {
        require_scheme(
            v,
            "url",
            self.url.expose_secret(),
            &["nats", "tls", "memory"],
        );
        // NATS treats `*` and `>` as wildcards and `.` as a separator: an empty token or a
        // wildcard in the prefix would make publishes land on, or listen to, the wrong subjects.
        let tokens_ok = self.subject_prefix.split('.').all(|t| {
            !t.is_empty() && !t.contains(['*', '>']) && !t.chars().any(char::is_whitespace)
        });
        v.check(
            tokens_ok,
            "subject_prefix",
            "must be dot-separated non-empty tokens without spaces, '*' or '>'",
        );
        let stream_ok = !self.stream.is_empty()
            && self
                .stream
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        v.check(stream_ok, "stream", "must be letters, digits, '_' or '-'");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_and_dotted_streams_are_rejected() {
        let bad = BusSettings {
            url: SecretString::from("nats://127.0.0.1:4222"),
            subject_prefix: "siyu.>".to_owned(),
            stream: "SIYU.EVENTS".to_owned(),
        };
        let mut v = Violations::new();
        bad.validate(&mut v);
        let errors = v.into_result().unwrap_err();
        assert!(errors.get("url").is_none());
        assert!(errors.get("subject_prefix").is_some());
        assert!(errors.get("stream").is_some());
    }
}
