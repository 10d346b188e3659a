//! Verifying what WeChat Pay signs: 2xx answers and callbacks.
//!
//! The message is `Wechatpay-Timestamp\nWechatpay-Nonce\nBODY\n` over the **raw** body bytes;
//! the key is picked by `Wechatpay-Serial`, which names either a platform certificate (hex
//! serial) or the WeChat Pay public key (`PUB_KEY_ID_…`). During a switch from certificates to
//! the public key both are live, so [`PlatformKeys`] holds any number of keys by serial.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::header::HeaderMap;
use rsa::RsaPublicKey;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey as _;
use rsa::sha2::Sha256;
use rsa::signature::Verifier as _;

use crate::cert::PlatformCertificate;
use crate::error::{SignatureError, WechatPayError};

/// Prefix of a deliberately wrong "signature probe" signature.
pub const PROBE_PREFIX: &str = "WECHATPAY/SIGNTEST/";
/// Prefix of a WeChat Pay public key id in `Wechatpay-Serial`.
pub const PUBLIC_KEY_ID_PREFIX: &str = "PUB_KEY_ID_";
/// Largest accepted distance between `Wechatpay-Timestamp` and now, exclusive (5 minutes).
pub const MAX_SKEW_SECS: i64 = 300;

/// The message a WeChat Pay signature covers.
pub fn canonical_response(timestamp: &str, nonce: &str, body: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(timestamp.len() + nonce.len() + body.len() + 3);
    message.extend_from_slice(timestamp.as_bytes());
    message.push(b'\n');
    message.extend_from_slice(nonce.as_bytes());
    message.push(b'\n');
    message.extend_from_slice(body);
    message.push(b'\n');
    message
}

/// The four (five) `Wechatpay-*` headers of a signed answer or callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    /// `Wechatpay-Timestamp`, Unix seconds as text.
    pub timestamp: String,
    /// `Wechatpay-Nonce`.
    pub nonce: String,
    /// `Wechatpay-Signature`, Base64.
    pub signature: String,
    /// `Wechatpay-Serial`: a certificate serial or a `PUB_KEY_ID_…`.
    pub serial: String,
    /// `Wechatpay-Signature-Type`; absent means `WECHATPAY2-SHA256-RSA2048`.
    pub signature_type: Option<String>,
}

impl SignedHeaders {
    /// Reads the headers from an HTTP header map (names are case-insensitive).
    pub fn from_headers(headers: &HeaderMap) -> Result<Self, SignatureError> {
        let get = |name: &'static str| -> Result<String, SignatureError> {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
                .ok_or(SignatureError::MissingHeader(name))
        };
        Ok(Self {
            timestamp: get("Wechatpay-Timestamp")?,
            nonce: get("Wechatpay-Nonce")?,
            signature: get("Wechatpay-Signature")?,
            serial: get("Wechatpay-Serial")?,
            signature_type: get("Wechatpay-Signature-Type").ok(),
        })
    }
}

/// The WeChat Pay keys a merchant trusts, by serial: platform certificates and/or the public key.
#[derive(Debug, Clone, Default)]
pub struct PlatformKeys {
    keys: BTreeMap<String, VerifyingKey<Sha256>>,
}

impl PlatformKeys {
    /// No keys yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Trusts a platform certificate (PEM), under its own serial.
    pub fn add_certificate_pem(&mut self, pem: &str) -> Result<String, WechatPayError> {
        let cert = PlatformCertificate::from_pem(pem)?;
        let serial = cert.serial_no.clone();
        self.add_key(&serial, cert.public_key);
        Ok(serial)
    }

    /// Trusts the WeChat Pay public key (`pub_key.pem`) under its id `PUB_KEY_ID_…`.
    pub fn add_public_key_pem(&mut self, key_id: &str, pem: &str) -> Result<(), WechatPayError> {
        let key = RsaPublicKey::from_public_key_pem(pem)
            .map_err(|e| WechatPayError::Config(format!("WeChat Pay public key: {e}")))?;
        self.add_key(key_id, key);
        Ok(())
    }

    /// Trusts `key` under `serial`.
    pub fn add_key(&mut self, serial: &str, key: RsaPublicKey) {
        self.keys.insert(serial.to_owned(), VerifyingKey::new(key));
    }

    /// Stops trusting `serial` (a certificate withdrawn after a switch).
    pub fn remove(&mut self, serial: &str) -> bool {
        self.keys.remove(serial).is_some()
    }

    /// The serials held, sorted.
    pub fn serials(&self) -> Vec<String> {
        self.keys.keys().cloned().collect()
    }

    /// The serial to send as `Wechatpay-Serial` on requests: the public key id when held
    /// (so answers come signed with it), else any certificate serial.
    pub fn preferred_serial(&self) -> Option<&str> {
        self.keys
            .keys()
            .find(|s| s.starts_with(PUBLIC_KEY_ID_PREFIX))
            .or_else(|| self.keys.keys().next_back())
            .map(String::as_str)
    }

    /// Verifies a signed answer or callback over its raw `body`, at Unix time `now`.
    pub fn verify(
        &self,
        headers: &SignedHeaders,
        body: &[u8],
        now: i64,
    ) -> Result<(), SignatureError> {
        if let Some(kind) = &headers.signature_type
            && kind != crate::sign::AUTH_SCHEME
        {
            return Err(SignatureError::UnsupportedType(kind.clone()));
        }
        let timestamp: i64 = headers
            .timestamp
            .trim()
            .parse()
            .map_err(|_| SignatureError::MalformedTimestamp)?;
        if (now - timestamp).abs() >= MAX_SKEW_SECS {
            return Err(SignatureError::Expired);
        }
        let key = self
            .keys
            .get(&headers.serial)
            .ok_or_else(|| SignatureError::UnknownSerial(headers.serial.clone()))?;
        // A probe is verified like any signature and must fail; naming it helps the logs.
        if headers.signature.starts_with(PROBE_PREFIX) {
            return Err(SignatureError::Probe);
        }
        let raw = STANDARD
            .decode(headers.signature.trim())
            .map_err(|_| SignatureError::Mismatch)?;
        let signature =
            Signature::try_from(raw.as_slice()).map_err(|_| SignatureError::Mismatch)?;
        key.verify(
            &canonical_response(&headers.timestamp, &headers.nonce, body),
            &signature,
        )
        .map_err(|_| SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"prepay_id":"wx201410272009395522657a690389285100"}"#;
    // `openssl dgst -sha256 -sign` with the test key of platform certificate A.
    const SIG: &str = "R21szi/CCun+xbJZVhRmT8cT6gqEjYOrlfXGc207BAqJldhwuPSW6T0QYPD6UJysnFwtSrDIijSJIuYbsDy1szp4PoTR+VEyVj7DRu4nNNLZbsv7WIp7JwtEKRcDzeOumtsFxXB97BqLURdWTqTo5MKvPU6HmxxW+CDmwDNo6oR/IkmMf259Z/uWxN8K426CHgriYOYWuIBI8SMS3Iwo3Ja7R7+4Z/+v76nLdkTdwjDYi1jyRdrIY6gwxS0L8zHqyFTF9hLTF+X92HHZOvXu7sH8magqtJaPU/Bk0HVdm86nqGo54kTf/a37Uo1dYEtXGSPfYyaqk+4Rqzy2XJHQMw==";
    const SERIAL: &str = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";
    const TS: i64 = 1_554_208_460;

    fn keys() -> PlatformKeys {
        let mut keys = PlatformKeys::new();
        let serial = keys
            .add_certificate_pem(include_str!("../testdata/platform_a.cert.pem"))
            .unwrap();
        assert_eq!(serial, SERIAL);
        keys
    }

    fn headers() -> SignedHeaders {
        SignedHeaders {
            timestamp: TS.to_string(),
            nonce: "593BEC0C930BF1AFEB40B4A08C8FB242".into(),
            signature: SIG.into(),
            serial: SERIAL.into(),
            signature_type: Some("WECHATPAY2-SHA256-RSA2048".into()),
        }
    }

    #[test]
    fn an_openssl_signature_verifies() {
        keys().verify(&headers(), BODY, TS + 299).unwrap();
        keys().verify(&headers(), BODY, TS - 299).unwrap();
    }

    #[test]
    fn every_tamper_is_refused() {
        let keys = keys();
        let tampered = br#"{"prepay_id":"wx201410272009395522657a690389285101"}"#;
        assert_eq!(
            keys.verify(&headers(), tampered, TS),
            Err(SignatureError::Mismatch)
        );
        // Re-serialised JSON (a space) breaks it too: the raw body is what is signed.
        let spaced = br#"{"prepay_id": "wx201410272009395522657a690389285100"}"#;
        assert_eq!(
            keys.verify(&headers(), spaced, TS),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            keys.verify(&headers(), BODY, TS + 300),
            Err(SignatureError::Expired)
        );
        assert_eq!(
            keys.verify(&headers(), BODY, TS - 300),
            Err(SignatureError::Expired)
        );
        let mut h = headers();
        h.serial = "PUB_KEY_ID_0000000000000024101100397200000006".into();
        assert!(matches!(
            keys.verify(&h, BODY, TS),
            Err(SignatureError::UnknownSerial(_))
        ));
        let mut h = headers();
        h.signature = format!("{PROBE_PREFIX}{SIG}");
        assert_eq!(keys.verify(&h, BODY, TS), Err(SignatureError::Probe));
        let mut h = headers();
        h.nonce.push('x');
        assert_eq!(keys.verify(&h, BODY, TS), Err(SignatureError::Mismatch));
        let mut h = headers();
        h.signature_type = Some("WECHATPAY2-SM2-WITH-SM3".into());
        assert!(matches!(
            keys.verify(&h, BODY, TS),
            Err(SignatureError::UnsupportedType(_))
        ));
        let mut h = headers();
        h.timestamp = "1554208460000".into();
        assert_eq!(keys.verify(&h, BODY, TS), Err(SignatureError::Expired));
        h.timestamp = "soon".into();
        assert_eq!(
            keys.verify(&h, BODY, TS),
            Err(SignatureError::MalformedTimestamp)
        );
    }

    #[test]
    fn a_wrong_key_under_the_right_serial_is_refused() {
        let mut keys = PlatformKeys::new();
        let merchant =
            PlatformCertificate::from_pem(include_str!("../testdata/test_merchant_cert.pem"))
                .unwrap();
        keys.add_key(SERIAL, merchant.public_key);
        assert_eq!(
            keys.verify(&headers(), BODY, TS),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn the_public_key_id_is_preferred_during_a_switch() {
        let mut keys = keys();
        assert_eq!(keys.preferred_serial(), Some(SERIAL));
        let cert =
            PlatformCertificate::from_pem(include_str!("../testdata/platform_a.cert.pem")).unwrap();
        keys.add_key("PUB_KEY_ID_0114232134912410000000000000", cert.public_key);
        assert_eq!(
            keys.preferred_serial(),
            Some("PUB_KEY_ID_0114232134912410000000000000")
        );
        // Both serials verify while both are held.
        keys.verify(&headers(), BODY, TS).unwrap();
        let mut h = headers();
        h.serial = "PUB_KEY_ID_0114232134912410000000000000".into();
        keys.verify(&h, BODY, TS).unwrap();
        assert!(keys.remove(SERIAL));
        assert!(matches!(
            keys.verify(&headers(), BODY, TS),
            Err(SignatureError::UnknownSerial(_))
        ));
    }
}
