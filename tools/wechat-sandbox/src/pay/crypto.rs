//! The sandbox's own WeChat Pay cryptography, written from the protocol rules and not shared
//! with the client crate, so a mistake on one side cannot hide a mistake on the other. Both
//! are checked against the same published and OpenSSL-made vectors.

use aes_gcm::aead::{Aead as _, KeyInit as _, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey as _, DecodePublicKey as _, EncodePublicKey as _};
use rsa::sha2::Sha256;
use rsa::signature::{SignatureEncoding as _, Signer as _, Verifier as _};
use rsa::{RsaPrivateKey, RsaPublicKey};

/// A private key that signs as WeChat Pay or as a merchant (SHA256withRSA, Base64).
#[derive(Clone)]
pub(crate) struct RsaSigner(SigningKey<Sha256>);

impl std::fmt::Debug for RsaSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RsaSigner([redacted])")
    }
}

impl RsaSigner {
    /// From a PKCS#8 PEM.
    pub(crate) fn from_pem(pem: &str) -> Result<Self, String> {
        RsaPrivateKey::from_pkcs8_pem(pem)
            .map(|key| Self(SigningKey::new(key)))
            .map_err(|e| e.to_string())
    }

    pub(crate) fn sign(&self, message: &[u8]) -> String {
        STANDARD.encode(self.0.sign(message).to_bytes())
    }

    /// The matching public key.
    pub(crate) fn public_key(&self) -> RsaPublicKey {
        RsaPublicKey::from(self.0.as_ref())
    }
}

/// Parses a public key PEM (`BEGIN PUBLIC KEY`).
pub(crate) fn public_key_from_pem(pem: &str) -> Result<RsaPublicKey, String> {
    RsaPublicKey::from_public_key_pem(pem).map_err(|e| e.to_string())
}

/// A public key as PEM text.
pub(crate) fn public_key_pem(key: &RsaPublicKey) -> String {
    key.to_public_key_pem(rsa::pkcs8::LineEnding::LF)
        .unwrap_or_default()
}

/// Checks a Base64 SHA256withRSA signature; any decoding problem is a mismatch.
pub(crate) fn verify(key: &RsaPublicKey, message: &[u8], signature_b64: &str) -> bool {
    let Ok(raw) = STANDARD.decode(signature_b64) else {
        return false;
    };
    let Ok(signature) = Signature::try_from(raw.as_slice()) else {
        return false;
    };
    VerifyingKey::<Sha256>::new(key.clone())
        .verify(message, &signature)
        .is_ok()
}

/// AES-256-GCM seal, Base64 of ciphertext‖tag; `None` for a key or nonce of the wrong size.
pub(crate) fn seal(key: &[u8], nonce: &str, aad: &str, plaintext: &[u8]) -> Option<String> {
    let cipher = Aes256Gcm::new_from_slice(key).ok()?;
    let nonce: [u8; 12] = nonce.as_bytes().try_into().ok()?;
    let sealed = cipher
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: plaintext,
                aad: aad.as_bytes(),
            },
        )
        .ok()?;
    Some(STANDARD.encode(sealed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_matches_the_wechatpay_java_vector() {
        // wechatpay-java AeadAesCipherTest.
        let sealed = seal(
            b"a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb",
            "uluk4a9R25RW",
            "associatedData",
            b"message",
        );
        assert_eq!(sealed.as_deref(), Some("ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI="));
        let local = seal(
            b"0123456789abcdef0123456789abcdef",
            "pKbMMsyVxAxo",
            "transaction",
            br#"{"out_trade_no":"T123456"}"#,
        );
        assert_eq!(
            local.as_deref(),
            Some("/I2GNV1F7ETo/hN9l+Zp6AMRtfvO3JgzYLlUwwA6kU/04ykAoJP5v3Gg")
        );
        assert_eq!(seal(b"short", "uluk4a9R25RW", "", b""), None);
        assert_eq!(
            seal(b"a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb", "short", "", b""),
            None
        );
    }

    #[test]
    fn signatures_match_openssl() {
        // `openssl dgst -sha256 -sign platform_a.key.pem` over a signed-answer message.
        let signer = RsaSigner::from_pem(include_str!("../../keys/platform_a.key.pem")).unwrap();
        let message = b"1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n{\"prepay_id\":\"wx201410272009395522657a690389285100\"}\n";
        let expected = "R21szi/CCun+xbJZVhRmT8cT6gqEjYOrlfXGc207BAqJldhwuPSW6T0QYPD6UJysnFwtSrDIijSJIuYbsDy1szp4PoTR+VEyVj7DRu4nNNLZbsv7WIp7JwtEKRcDzeOumtsFxXB97BqLURdWTqTo5MKvPU6HmxxW+CDmwDNo6oR/IkmMf259Z/uWxN8K426CHgriYOYWuIBI8SMS3Iwo3Ja7R7+4Z/+v76nLdkTdwjDYi1jyRdrIY6gwxS0L8zHqyFTF9hLTF+X92HHZOvXu7sH8magqtJaPU/Bk0HVdm86nqGo54kTf/a37Uo1dYEtXGSPfYyaqk+4Rqzy2XJHQMw==";
        assert_eq!(signer.sign(message), expected);
        assert!(verify(&signer.public_key(), message, expected));
        assert!(!verify(&signer.public_key(), b"other", expected));
        assert!(!verify(
            &signer.public_key(),
            message,
            "WECHATPAY/SIGNTEST/xx"
        ));
    }

    #[test]
    fn a_merchant_request_signed_by_openssl_verifies() {
        // The merchant test key signed `GET /v3/certificates` with OpenSSL.
        let signer = RsaSigner::from_pem(include_str!("../../keys/test_merchant.key.pem")).unwrap();
        let message = b"GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n";
        let signature = "bwVqeE19zDmrxJJ4cWeqjqo7qg4YTODqewEWevZ49jNjfpwU6KMk/+V3X9k1JW1QJVGMH5ICGc8QuKUJ3W+r3yrWoJQT5eEvgZjkB69As7gJOQ9IPeJWc7o2B7ohq9lGLQNgpKHTqDLaSx1SsOjNXnDV3I20ABxySTcyg+U1FZ5CCoUdfrav/z70TYWkQ6LsLsbTqQsTGxk2LUnJbj7mpMe5F8SxM8rp1C7zEo9zRpkGPj0SGkrTsjHduV7h7TPTz4XI0MmbPJbTZr5BeBH9K/vUN3oQBv4RT6bK3RwyBtnq+kOrxdayDvVDbGagDV4V8pmKQJF3if70FM21MP0S3A==";
        assert!(verify(&signer.public_key(), message, signature));
        let pem = public_key_pem(&signer.public_key());
        assert!(verify(
            &public_key_from_pem(&pem).unwrap(),
            message,
            signature
        ));
    }
}
