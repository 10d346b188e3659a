//! Cryptographic helpers: sealing secrets at rest (AES-256-GCM), hashing high-entropy secrets
//! (SHA-256), random opaque tokens, and argon2id password hashes.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::TryRngCore as _;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

/// What can fail in this module; none of it carries key material.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The configured key is not 32 bytes of base64.
    #[error("encryption key must be the base64 of 32 bytes")]
    BadKey,
    /// Sealed data did not authenticate (wrong key or tampering).
    #[error("sealed data does not authenticate")]
    Unseal,
    /// The OS random generator failed.
    #[error("random generator failed")]
    Random,
    /// Password hashing failed.
    #[error("password hashing failed: {0}")]
    Password(String),
}

/// Seals and opens secrets with AES-256-GCM; the stored form is `nonce(12) || ciphertext+tag`.
#[derive(Clone)]
pub struct Sealer {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

impl Sealer {
    /// A sealer from the base64 of a 32-byte key.
    pub fn from_base64(key: &str) -> Result<Self, CryptoError> {
        let bytes = STANDARD
            .decode(key.trim())
            .map_err(|_| CryptoError::BadKey)?;
        if bytes.len() != 32 {
            return Err(CryptoError::BadKey);
        }
        let cipher = Aes256Gcm::new_from_slice(&bytes).map_err(|_| CryptoError::BadKey)?;
        Ok(Self { cipher })
    }

    /// Encrypts `plain` under a fresh random nonce.
    pub fn seal(&self, plain: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let nonce_bytes: [u8; 12] = random_bytes()?;
        let mut out = nonce_bytes.to_vec();
        let sealed = self
            .cipher
            .encrypt(&Nonce::from(nonce_bytes), plain)
            .map_err(|_| CryptoError::Unseal)?;
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Decrypts what [`Sealer::seal`] produced.
    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if sealed.len() < 12 {
            return Err(CryptoError::Unseal);
        }
        let (nonce, body) = sealed.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| CryptoError::Unseal)?;
        self.cipher
            .decrypt(&Nonce::from(nonce), body)
            .map_err(|_| CryptoError::Unseal)
    }
}

/// `N` bytes from the OS random generator.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut buf = [0u8; N];
    OsRng
        .try_fill_bytes(&mut buf)
        .map_err(|_| CryptoError::Random)?;
    Ok(buf)
}

/// A new opaque token: 32 random bytes, base64url without padding (refresh tokens, secrets).
pub fn random_token() -> Result<String, CryptoError> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes::<32>()?))
}

/// Hex SHA-256 of a high-entropy secret. A fast hash is enough here: the input has 256 bits of
/// randomness, so there is nothing to brute-force, unlike a password.
pub fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// argon2id parameters for staff passwords.
#[derive(Debug, Clone)]
pub struct PasswordHashing {
    params: Params,
}

impl PasswordHashing {
    /// argon2id with `memory_kib` KiB and `iterations` passes, one lane.
    pub fn new(memory_kib: u32, iterations: u32) -> Result<Self, CryptoError> {
        let params = Params::new(memory_kib, iterations, 1, None)
            .map_err(|err| CryptoError::Password(err.to_string()))?;
        Ok(Self { params })
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// The PHC string of `password` under a fresh random salt.
    pub fn hash(&self, password: &str) -> Result<String, CryptoError> {
        let salt = SaltString::encode_b64(&random_bytes::<16>()?)
            .map_err(|err| CryptoError::Password(err.to_string()))?;
        self.argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|err| CryptoError::Password(err.to_string()))
    }

    /// True when `password` matches the PHC string (its own parameters are used).
    pub fn verify(&self, password: &str, phc: &str) -> bool {
        PasswordHash::new(phc)
            .map(|parsed| {
                self.argon2()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    }
}

/// Constant-time equality of two hex digests (no early exit on the first differing byte).
pub fn digest_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn sealing_round_trips_and_detects_tampering() {
        let sealer = Sealer::from_base64(&STANDARD.encode([7u8; 32])).unwrap();
        let mut sealed = sealer.seal(b"secret").unwrap();
        assert_eq!(sealer.open(&sealed).unwrap(), b"secret");
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert!(sealer.open(&sealed).is_err());
        assert!(Sealer::from_base64("c2hvcnQ=").is_err());
    }

    #[test]
    fn passwords_verify_only_when_equal() {
        let hashing = PasswordHashing::new(64, 1).unwrap();
        let phc = hashing.hash("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(hashing.verify("correct horse battery", &phc));
        assert!(!hashing.verify("wrong", &phc));
    }
}
