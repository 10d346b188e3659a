//! Masking secrets so the effective configuration can be logged at start.
//!
//! `SecretString` has no `Serialize` impl on purpose, so a settings type only serializes if
//! each secret field names one of the serializers below: forgetting is a compile error, not
//! a leaked password.

use secrecy::{ExposeSecret, SecretString};
use serde::{Serialize, Serializer};
use serde_json::Value;

const MASK: &str = "****";

/// Key fragments whose string values are masked wholesale in the log form, as a second line
/// of defence for secrets that were (wrongly) typed as plain `String`.
const SECRET_KEY_HINTS: &[&str] = &["password", "passwd", "secret", "token", "credential"];

/// Masks the password (and secret-looking query parameters) of a URL:
/// `postgres://siyu:pw@db/identity` becomes `postgres://siyu:****@db/identity`.
///
/// User info without a `:` is masked whole, because schemes such as `nats://token@host`
/// put a bare token there. Text that is not a URL comes back unchanged.
pub fn mask_url(url: &str) -> String {
    mask_url_parts(url).unwrap_or_else(|| url.to_owned())
}

/// `serialize_with` for a secret that is a URL: logs scheme, user, host and path, never the
/// password.
pub fn serialize_masked_url<S: Serializer>(secret: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    // Something that does not parse as a URL may be a bare password: hide all of it.
    let masked = mask_url_parts(secret.expose_secret()).unwrap_or_else(|| MASK.to_owned());
    s.serialize_str(&masked)
}

/// `serialize_with` for an opaque secret (key, token, password): always `****`.
pub fn serialize_redacted<S: Serializer>(_secret: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(MASK)
}

/// The settings as JSON for the start-up log, with URL passwords and secret-looking values
/// masked. Never fails: a serialization error is itself reported in the value.
pub fn effective_config_for_log<S: Serialize>(settings: &S) -> Value {
    match serde_json::to_value(settings) {
        Ok(mut value) => {
            scrub(&mut value);
            value
        }
        Err(e) => serde_json::json!({ "error": format!("settings not serializable: {e}") }),
    }
}

fn scrub(value: &mut Value) {
    match value {
        Value::String(s) if s.contains("://") => *s = mask_url(s),
        Value::Array(items) => items.iter_mut().for_each(scrub),
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                let key = key.to_ascii_lowercase();
                let secret_key = SECRET_KEY_HINTS.iter().any(|h| key.contains(h));
                match item {
                    Value::String(s) if secret_key && s != MASK => *s = MASK.to_owned(),
                    _ => scrub(item),
                }
            }
        }
        _ => {}
    }
}

fn mask_url_parts(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    {
        return None;
    }
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{user}:{MASK}@{host}"),
            None => format!("{MASK}@{host}"),
        },
        None => authority.to_owned(),
    };
    Some(format!("{scheme}://{authority}{}", mask_query(tail)))
}

/// Masks values of query parameters such as `?password=…` (libpq accepts them).
fn mask_query(tail: &str) -> String {
    let Some((path, query)) = tail.split_once('?') else {
        return tail.to_owned();
    };
    let (query, fragment) = match query.split_once('#') {
        Some((q, f)) => (q, Some(f)),
        None => (query, None),
    };
    let params: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if is_secret_param(k) => format!("{k}={MASK}"),
            _ => pair.to_owned(),
        })
        .collect();
    let mut out = format!("{path}?{}", params.join("&"));
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

fn is_secret_param(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.contains("pass") || key.contains("secret") || key.contains("token")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_password_keeps_the_rest() {
        assert_eq!(
            mask_url("postgres://siyu:s3cret@db/identity"),
            "postgres://siyu:****@db/identity"
        );
        assert_eq!(
            mask_url("redis://:pw@cache:6379/0"),
            "redis://:****@cache:6379/0"
        );
        assert_eq!(mask_url("nats://tok3n@bus:4222"), "nats://****@bus:4222");
        assert_eq!(mask_url("memory://"), "memory://");
        assert_eq!(
            mask_url("postgres://db/x?user=a&password=pw#f"),
            "postgres://db/x?user=a&password=****#f"
        );
        assert_eq!(mask_url("not a url"), "not a url");
    }

    #[test]
    fn password_containing_at_sign_is_fully_masked() {
        let masked = mask_url("postgres://u:p@ss@db/x");
        assert_eq!(masked, "postgres://u:****@db/x");
    }

    #[test]
    fn log_form_scrubs_plain_strings_too() {
        #[derive(Serialize)]
        struct Plain {
            jwks_url: String,
            api_token: String,
            name: String,
        }
        let value = effective_config_for_log(&Plain {
            jwks_url: "https://u:hunter2@idp/jwks".into(),
            api_token: "hunter3".into(),
            name: "siyu".into(),
        });
        let text = value.to_string();
        assert!(
            !text.contains("hunter2") && !text.contains("hunter3"),
            "{text}"
        );
        assert_eq!(value["name"], "siyu");
    }
}
