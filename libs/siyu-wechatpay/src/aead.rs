//! `AEAD_AES_256_GCM` as WeChat Pay uses it for callback resources and certificates.
//!
//! Key: the 32-byte APIv3 key. Nonce: the 12 ASCII bytes of `resource.nonce`. AAD:
//! `resource.associated_data`. Ciphertext: Base64 of `encrypted || 16-byte tag`.

use aes_gcm::aead::{Aead as _, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::error::WechatPayError;

/// The only algorithm WeChat Pay names in `resource.algorithm` for RSA merchants.
pub const ALGORITHM: &str = "AEAD_AES_256_GCM";

/// Decrypts a Base64 `ciphertext` with the APIv3 key.
pub fn decrypt(
    apiv3_key: &[u8],
    nonce: &str,
    associated_data: &str,
    ciphertext: &str,
) -> Result<Vec<u8>, WechatPayError> {
    let cipher = Aes256Gcm::new_from_slice(apiv3_key)
        .map_err(|_| WechatPayError::Config("the APIv3 key must be 32 bytes".into()))?;
    open(&cipher, nonce, associated_data, ciphertext)
}

/// Encrypts `plaintext` the way WeChat Pay does (for tests and emulators).
pub fn encrypt(
    apiv3_key: &[u8],
    nonce: &str,
    associated_data: &str,
    plaintext: &[u8],
) -> Result<String, WechatPayError> {
    let cipher = Aes256Gcm::new_from_slice(apiv3_key)
        .map_err(|_| WechatPayError::Config("the APIv3 key must be 32 bytes".into()))?;
    let nonce = nonce_of(nonce)?;
    let sealed = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad: associated_data.as_bytes(),
            },
        )
        .map_err(|_| WechatPayError::Decrypt)?;
    Ok(STANDARD.encode(sealed))
}

fn nonce_of(nonce: &str) -> Result<Nonce<aes_gcm::aead::consts::U12>, WechatPayError> {
    // Only 12-byte nonces exist in GCM as WeChat Pay uses it; anything else is refused, not
    // padded, so a hostile body cannot reach a length panic.
    let bytes: [u8; 12] = nonce
        .as_bytes()
        .try_into()
        .map_err(|_| WechatPayError::Decrypt)?;
    Ok(Nonce::from(bytes))
}

/// Opens with any AES-GCM width; WeChat Pay itself only uses 256 bits.
fn open<C>(
    cipher: &C,
    nonce: &str,
    associated_data: &str,
    ciphertext: &str,
) -> Result<Vec<u8>, WechatPayError>
where
    C: aes_gcm::aead::Aead + aes_gcm::aead::AeadCore<NonceSize = aes_gcm::aead::consts::U12>,
{
    let sealed = STANDARD
        .decode(ciphertext)
        .map_err(|_| WechatPayError::Decrypt)?;
    let nonce = nonce_of(nonce)?;
    cipher
        .decrypt(
            &nonce,
            Payload {
                msg: &sealed,
                aad: associated_data.as_bytes(),
            },
        )
        .map_err(|_| WechatPayError::Decrypt)
}

#[cfg(test)]
mod tests {
    use aes_gcm::Aes128Gcm;

    use super::*;

    /// wechatpay-java `AeadAesCipherTest` (API_V3_KEY of its TestConfig).
    const JAVA_KEY: &[u8] = b"a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb";

    #[test]
    fn wechatpay_java_vector() {
        let ct = "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=";
        assert_eq!(
            decrypt(JAVA_KEY, "uluk4a9R25RW", "associatedData", ct).unwrap(),
            b"message"
        );
        assert_eq!(
            encrypt(JAVA_KEY, "uluk4a9R25RW", "associatedData", b"message").unwrap(),
            ct
        );
    }

    #[test]
    fn wechatpay_go_vector_checks_the_framing() {
        // wechatpay-go `utils/aes_test.go`: a 16-byte key, so AES-128; same nonce/AAD/tag framing.
        let cipher = Aes128Gcm::new_from_slice(b"testAPIv3Key0000").unwrap();
        let plain = open(
            &cipher,
            "wCq51qZv4Yfg",
            "Dl56FrqWQJF1t9LtC3vEUsniZKvbqdR8",
            "FsdXzxryWfKwvLJKf8LG/ToRPTRh8RN9wROC",
        )
        .unwrap();
        assert_eq!(plain, b"Hello World");
    }

    #[test]
    fn locally_generated_256_bit_vector() {
        let key = b"0123456789abcdef0123456789abcdef";
        let ct = "/I2GNV1F7ETo/hN9l+Zp6AMRtfvO3JgzYLlUwwA6kU/04ykAoJP5v3Gg";
        assert_eq!(
            decrypt(key, "pKbMMsyVxAxo", "transaction", ct).unwrap(),
            br#"{"out_trade_no":"T123456"}"#
        );
    }

    #[test]
    fn wrong_key_tampered_data_or_bad_nonce_fail_cleanly() {
        let ct = "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=";
        let other = b"b7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb";
        assert!(matches!(
            decrypt(other, "uluk4a9R25RW", "associatedData", ct),
            Err(WechatPayError::Decrypt)
        ));
        assert!(matches!(
            decrypt(JAVA_KEY, "uluk4a9R25RW", "other", ct),
            Err(WechatPayError::Decrypt)
        ));
        assert!(matches!(
            decrypt(JAVA_KEY, "short", "associatedData", ct),
            Err(WechatPayError::Decrypt)
        ));
        assert!(matches!(
            decrypt(JAVA_KEY, "uluk4a9R25RW", "associatedData", "!!"),
            Err(WechatPayError::Decrypt)
        ));
        assert!(matches!(
            decrypt(b"short", "uluk4a9R25RW", "associatedData", ct),
            Err(WechatPayError::Config(_))
        ));
    }
}
