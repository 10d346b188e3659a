//! Reading a JWKS document into the verification keys this crate accepts.
//!
//! Only two key shapes are accepted, each pinned to one algorithm: OKP/Ed25519 → EdDSA and
//! EC/P-256 → ES256. Everything else (RSA, symmetric `oct` keys, other curves) is skipped,
//! so no token can ever be checked with HMAC or an algorithm the key was not made for.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;

use crate::error::AuthError;

/// A public key with the one algorithm tokens signed by it may use.
#[derive(Clone)]
pub(crate) struct VerifyKey {
    pub(crate) alg: Algorithm,
    pub(crate) key: DecodingKey,
}

/// The usable keys of one JWKS document, by `kid`.
#[derive(Clone, Default)]
pub(crate) struct KeySet {
    keys: HashMap<String, VerifyKey>,
}

/// The fields of a JWK this crate reads; unknown members are ignored as RFC 7517 asks.
#[derive(Deserialize)]
struct RawJwk {
    kty: String,
    kid: Option<String>,
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    key_use: Option<String>,
}

#[derive(Deserialize)]
struct RawJwks {
    keys: Vec<serde_json::Value>,
}

impl KeySet {
    /// Parses a JWKS document. A document that is not a JWKS is an error; single keys that
    /// are unusable are skipped (logged), so one odd key cannot hide the others.
    pub(crate) fn from_json(bytes: &[u8]) -> Result<Self, AuthError> {
        let raw: RawJwks = serde_json::from_slice(bytes)
            .map_err(|err| AuthError::JwksUnavailable(format!("not a JWKS document: {err}")))?;
        let mut keys = HashMap::with_capacity(raw.keys.len());
        for value in raw.keys {
            match parse_key(value) {
                Ok((kid, key)) => {
                    keys.insert(kid, key);
                }
                Err(reason) => tracing::warn!(%reason, "skipping unusable JWK"),
            }
        }
        Ok(Self { keys })
    }

    /// The key with this `kid`, if the set has it.
    pub(crate) fn get(&self, kid: &str) -> Option<&VerifyKey> {
        self.keys.get(kid)
    }

    /// How many usable keys the set holds.
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }
}

fn parse_key(value: serde_json::Value) -> Result<(String, VerifyKey), String> {
    let jwk: RawJwk = serde_json::from_value(value).map_err(|err| format!("bad JWK: {err}"))?;
    let kid = jwk
        .kid
        .filter(|kid| !kid.is_empty())
        .ok_or("JWK without kid")?;
    if jwk
        .key_use
        .as_deref()
        .is_some_and(|key_use| key_use != "sig")
    {
        return Err(format!("{kid}: not a signature key"));
    }
    let (alg, key) = match (jwk.kty.as_str(), jwk.crv.as_deref()) {
        ("OKP", Some("Ed25519")) => {
            let x = jwk.x.ok_or_else(|| format!("{kid}: missing x"))?;
            let bytes = decode_coordinate(&kid, &x)?;
            // Reject points that are not valid Ed25519 keys now rather than at every verify.
            ed25519_dalek::VerifyingKey::from_bytes(&bytes)
                .map_err(|_| format!("{kid}: invalid Ed25519 key"))?;
            let key = DecodingKey::from_ed_components(&x).map_err(|err| format!("{kid}: {err}"))?;
            (Algorithm::EdDSA, key)
        }
        ("EC", Some("P-256")) => {
            let (x, y) = jwk
                .x
                .zip(jwk.y)
                .ok_or_else(|| format!("{kid}: missing x or y"))?;
            decode_coordinate(&kid, &x)?;
            decode_coordinate(&kid, &y)?;
            let key =
                DecodingKey::from_ec_components(&x, &y).map_err(|err| format!("{kid}: {err}"))?;
            (Algorithm::ES256, key)
        }
        (kty, crv) => return Err(format!("{kid}: unsupported key type {kty}/{crv:?}")),
    };
    if let Some(declared) = jwk.alg.as_deref()
        && declared != alg_name(alg)
    {
        return Err(format!("{kid}: alg {declared} does not match the key type"));
    }
    Ok((kid, VerifyKey { alg, key }))
}

/// Decodes a base64url coordinate that must be exactly 32 bytes (Ed25519 and P-256 alike);
/// the length check also keeps the backend from slicing short input.
fn decode_coordinate(kid: &str, value: &str) -> Result<[u8; 32], String> {
    let bytes = URL_SAFE_NO_PAD
        .decode(value)
        .map_err(|_| format!("{kid}: coordinate is not base64url"))?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| format!("{kid}: coordinate is not 32 bytes"))
}

/// The JOSE name of the algorithms this crate accepts.
pub(crate) fn alg_name(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::EdDSA => "EdDSA",
        Algorithm::ES256 => "ES256",
        _ => "unsupported",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";

    #[test]
    fn accepts_ed25519_and_skips_everything_else() {
        let doc = serde_json::json!({"keys": [
            {"kty": "OKP", "crv": "Ed25519", "x": ED_X, "kid": "ed", "alg": "EdDSA", "use": "sig"},
            {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"},
            {"kty": "OKP", "crv": "Ed25519", "x": ED_X, "kid": "wrong-alg", "alg": "HS256"},
            {"kty": "OKP", "crv": "Ed25519", "x": "AAAA", "kid": "short"},
            {"kty": "OKP", "crv": "Ed25519", "x": ED_X, "kid": "enc", "use": "enc"},
            {"kty": "OKP", "crv": "Ed25519", "x": ED_X},
        ]});
        let set = KeySet::from_json(doc.to_string().as_bytes()).unwrap();
        assert_eq!(set.len(), 1);
        assert_eq!(set.get("ed").map(|k| k.alg), Some(Algorithm::EdDSA));
        assert!(set.get("hmac").is_none());
    }

    #[test]
    fn a_document_that_is_not_a_jwks_is_an_error() {
        assert!(matches!(
            KeySet::from_json(b"<html>"),
            Err(AuthError::JwksUnavailable(_))
        ));
    }
}
