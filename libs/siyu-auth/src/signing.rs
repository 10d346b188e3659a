//! [`SigningKey`]: issues access tokens and publishes the matching public JWK.
//!
//! Used by the identity service and by tests. The private key never appears in `Debug`.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use jsonwebtoken::{Algorithm, EncodingKey, Header};

use crate::claims::Claims;
use crate::error::AuthError;

/// The algorithms a [`SigningKey`] can sign with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningAlgorithm {
    /// Ed25519 (preferred: small, fast, deterministic).
    EdDSA,
    /// ECDSA on P-256 with SHA-256, for deployments that require NIST curves.
    ES256,
}

/// A private signing key with its `kid`.
pub struct SigningKey {
    kid: String,
    alg: SigningAlgorithm,
    key: EncodingKey,
    public_jwk: serde_json::Value,
}

impl SigningKey {
    /// An Ed25519 key from a PKCS#8 DER document (v1 or v2).
    pub fn ed25519_from_pkcs8_der(kid: impl Into<String>, der: &[u8]) -> Result<Self, AuthError> {
        let key = ed25519_dalek::SigningKey::from_pkcs8_der(der)
            .map_err(|_| AuthError::Config("not a PKCS#8 Ed25519 private key".into()))?;
        Self::from_dalek(kid.into(), &key)
    }

    /// An Ed25519 key from a PEM `PRIVATE KEY` block.
    pub fn ed25519_from_pkcs8_pem(kid: impl Into<String>, pem: &str) -> Result<Self, AuthError> {
        Self::ed25519_from_pkcs8_der(kid, &pem_private_key(pem)?)
    }

    /// An Ed25519 key from its 32-byte seed; identity derives new keys this way from a CSPRNG.
    pub fn ed25519_from_seed(kid: impl Into<String>, seed: &[u8; 32]) -> Result<Self, AuthError> {
        Self::from_dalek(kid.into(), &ed25519_dalek::SigningKey::from_bytes(seed))
    }

    /// A P-256 key from a PKCS#8 DER document.
    pub fn es256_from_pkcs8_der(kid: impl Into<String>, der: &[u8]) -> Result<Self, AuthError> {
        let kid = kid.into();
        let key = EncodingKey::from_ec_der(der);
        // Deriving the public JWK also proves the DER is a usable P-256 key.
        let jwk = jsonwebtoken::jwk::Jwk::from_encoding_key(&key, Algorithm::ES256)
            .map_err(|_| AuthError::Config("not a PKCS#8 P-256 private key".into()))?;
        let mut public_jwk =
            serde_json::to_value(&jwk).map_err(|err| AuthError::Config(err.to_string()))?;
        if let Some(object) = public_jwk.as_object_mut() {
            object.insert("kid".into(), kid.clone().into());
            object.insert("use".into(), "sig".into());
        }
        Ok(Self {
            kid,
            alg: SigningAlgorithm::ES256,
            key,
            public_jwk,
        })
    }

    /// A P-256 key from a PEM `PRIVATE KEY` block.
    pub fn es256_from_pkcs8_pem(kid: impl Into<String>, pem: &str) -> Result<Self, AuthError> {
        Self::es256_from_pkcs8_der(kid, &pem_private_key(pem)?)
    }

    /// The key id put in token headers and in the JWK.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm tokens are signed with.
    pub fn algorithm(&self) -> SigningAlgorithm {
        self.alg
    }

    /// Signs `claims` into a compact JWT with `alg` and `kid` in the header.
    pub fn sign(&self, claims: &Claims) -> Result<String, AuthError> {
        let alg = match self.alg {
            SigningAlgorithm::EdDSA => Algorithm::EdDSA,
            SigningAlgorithm::ES256 => Algorithm::ES256,
        };
        let mut header = Header::new(alg);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.key)
            .map_err(|err| AuthError::Signing(err.to_string()))
    }

    /// The public half as a JWK, with `kid`, `alg` and `use: sig`.
    pub fn public_jwk(&self) -> serde_json::Value {
        self.public_jwk.clone()
    }

    /// A JWKS document publishing the public halves of `keys` (current and previous during
    /// a rotation).
    pub fn jwks<'a>(keys: impl IntoIterator<Item = &'a SigningKey>) -> serde_json::Value {
        serde_json::json!({ "keys": keys.into_iter().map(SigningKey::public_jwk).collect::<Vec<_>>() })
    }

    fn from_dalek(kid: String, key: &ed25519_dalek::SigningKey) -> Result<Self, AuthError> {
        let der = key
            .to_pkcs8_der()
            .map_err(|_| AuthError::Config("cannot encode Ed25519 key".into()))?;
        let public_jwk = serde_json::json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "x": URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes()),
            "kid": kid,
            "alg": "EdDSA",
            "use": "sig",
        });
        Ok(Self {
            kid,
            alg: SigningAlgorithm::EdDSA,
            key: EncodingKey::from_ed_der(der.as_bytes()),
            public_jwk,
        })
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

/// Extracts the DER of an unencrypted PKCS#8 `PRIVATE KEY` PEM block.
fn pem_private_key(pem: &str) -> Result<Vec<u8>, AuthError> {
    const BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
    const END: &str = "-----END PRIVATE KEY-----";
    let start = pem.find(BEGIN).ok_or_else(|| {
        AuthError::Config("expected an unencrypted PKCS#8 PEM (BEGIN PRIVATE KEY)".into())
    })?;
    let body = &pem[start + BEGIN.len()..];
    let end = body
        .find(END)
        .ok_or_else(|| AuthError::Config("PEM block is not terminated".into()))?;
    let base64: String = body[..end]
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    STANDARD
        .decode(base64)
        .map_err(|_| AuthError::Config("PEM body is not base64".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_the_kid_but_no_key_material() {
        let key = SigningKey::ed25519_from_seed("k1", &[7; 32]).unwrap();
        let debug = format!("{key:?}");
        assert!(debug.contains("k1"));
        assert!(!debug.contains("EncodingKey"));
    }

    #[test]
    fn pem_and_der_load_the_same_key() {
        let key = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
        let der = key.to_pkcs8_der().unwrap();
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            STANDARD.encode(der.as_bytes())
        );
        let from_pem = SigningKey::ed25519_from_pkcs8_pem("k", &pem).unwrap();
        let from_der = SigningKey::ed25519_from_pkcs8_der("k", der.as_bytes()).unwrap();
        assert_eq!(from_pem.public_jwk(), from_der.public_jwk());
        assert!(SigningKey::ed25519_from_pkcs8_pem("k", "-----BEGIN EC PRIVATE KEY-----").is_err());
        assert!(SigningKey::ed25519_from_pkcs8_der("k", b"garbage").is_err());
    }
}
