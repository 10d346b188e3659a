//! Request signing (merchant → WeChat Pay) and the `wx.requestPayment` paySign.
//!
//! Both are SHA256withRSA (RSASSA-PKCS1-v1_5 over SHA-256) with the merchant API private key,
//! Base64 in the standard alphabet with padding. PKCS#1 v1.5 signatures are deterministic, so
//! the signer may be any correct implementation: it is `ring`'s (assembly, constant time), which
//! signs several times faster than the portable big-integer code of the `rsa` crate — it ran on
//! every prepay twice (the request, then `paySign`) and was a fifth of a checkout's CPU. The key
//! is read with `rsa` (PKCS#8 or PKCS#1 PEM) and handed to `ring` as PKCS#1 DER.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand::SeedableRng as _;
use rand::distr::{Alphanumeric, SampleString as _};
use rand::rngs::StdRng;
use std::sync::Arc;

use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use rsa::RsaPrivateKey;
use rsa::pkcs1::{DecodeRsaPrivateKey as _, EncodeRsaPrivateKey as _};
use rsa::pkcs8::DecodePrivateKey as _;
use serde::{Deserialize, Serialize};

use crate::error::WechatPayError;

/// The Authorization scheme: `WECHATPAY2-` + `SHA256-RSA2048`.
pub const AUTH_SCHEME: &str = "WECHATPAY2-SHA256-RSA2048";

/// The message a request signature covers: five lines, each ending in `\n` (the last too).
///
/// `url` is the absolute path plus `?query`, exactly as sent; `body` is empty for a GET.
pub fn canonical_request(
    method: &str,
    url: &str,
    timestamp: i64,
    nonce: &str,
    body: &str,
) -> String {
    format!("{method}\n{url}\n{timestamp}\n{nonce}\n{body}\n")
}

/// The message a JSAPI paySign covers: `appId\ntimeStamp\nnonceStr\npackage\n`.
pub fn pay_sign_message(appid: &str, timestamp: &str, nonce: &str, package: &str) -> String {
    format!("{appid}\n{timestamp}\n{nonce}\n{package}\n")
}

/// 32 characters from `[0-9A-Za-z]`, the SDKs' nonce shape.
pub fn nonce() -> String {
    Alphanumeric.sample_string(&mut StdRng::from_os_rng(), 32)
}

/// The merchant's signing identity: mchid, API certificate serial and private key.
#[derive(Clone)]
pub struct MerchantSigner {
    mchid: String,
    serial_no: String,
    key: Arc<RsaKeyPair>,
    rng: SystemRandom,
}

impl std::fmt::Debug for MerchantSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MerchantSigner")
            .field("mchid", &self.mchid)
            .field("serial_no", &self.serial_no)
            .field("key", &"[redacted]")
            .finish()
    }
}

impl MerchantSigner {
    /// A signer from the `apiclient_key.pem` text (PKCS#8, or PKCS#1 `RSA PRIVATE KEY`).
    pub fn from_pem(
        mchid: &str,
        serial_no: &str,
        private_key_pem: &str,
    ) -> Result<Self, WechatPayError> {
        let invalid = |e: String| WechatPayError::Config(format!("merchant private key: {e}"));
        let key = RsaPrivateKey::from_pkcs8_pem(private_key_pem)
            .or_else(|_| RsaPrivateKey::from_pkcs1_pem(private_key_pem))
            .map_err(|e| invalid(e.to_string()))?;
        let der = key.to_pkcs1_der().map_err(|e| invalid(e.to_string()))?;
        let key = RsaKeyPair::from_der(der.as_bytes()).map_err(|e| invalid(e.to_string()))?;
        // WeChat Pay compares the serial as upper-case hex; a decimal or lower-case one is refused.
        let serial_no = serial_no.trim().to_ascii_uppercase();
        Ok(Self {
            mchid: mchid.to_owned(),
            serial_no,
            key: Arc::new(key),
            rng: SystemRandom::new(),
        })
    }

    /// The merchant id.
    pub fn mchid(&self) -> &str {
        &self.mchid
    }

    /// The merchant API certificate serial (upper-case hex).
    pub fn serial_no(&self) -> &str {
        &self.serial_no
    }

    /// Signs `message`, Base64. PKCS#1 v1.5 draws no randomness for the signature itself
    /// (`ring` uses the generator only for blinding), so this fails only if the operating
    /// system's generator does — then the signature is empty and WeChat refuses the request.
    pub fn sign(&self, message: &str) -> String {
        let mut signature = vec![0; self.key.public().modulus_len()];
        match self.key.sign(
            &RSA_PKCS1_SHA256,
            &self.rng,
            message.as_bytes(),
            &mut signature,
        ) {
            Ok(()) => STANDARD.encode(signature),
            Err(e) => {
                tracing::error!(error = %e, "merchant signature failed");
                String::new()
            }
        }
    }

    /// The full `Authorization` header value for one request.
    pub fn authorization(
        &self,
        method: &str,
        url: &str,
        body: &str,
        timestamp: i64,
        nonce: &str,
    ) -> String {
        let signature = self.sign(&canonical_request(method, url, timestamp, nonce, body));
        format!(
            "{AUTH_SCHEME} mchid=\"{}\",nonce_str=\"{nonce}\",timestamp=\"{timestamp}\",serial_no=\"{}\",signature=\"{signature}\"",
            self.mchid, self.serial_no
        )
    }

    /// The signed parameters for `wx.requestPayment` (JSAPI / mini program).
    pub fn request_payment(
        &self,
        appid: &str,
        prepay_id: &str,
        timestamp: i64,
        nonce: &str,
    ) -> RequestPayment {
        let time_stamp = timestamp.to_string();
        let package = format!("prepay_id={prepay_id}");
        let pay_sign = self.sign(&pay_sign_message(appid, &time_stamp, nonce, &package));
        RequestPayment {
            app_id: appid.to_owned(),
            time_stamp,
            nonce_str: nonce.to_owned(),
            package,
            sign_type: "RSA".to_owned(),
            pay_sign,
        }
    }
}

/// What the mini program passes to `wx.requestPayment` (it omits `appId`, which is signed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestPayment {
    /// The mini-program AppID that was signed.
    pub app_id: String,
    /// Unix seconds, as a string.
    pub time_stamp: String,
    /// The random nonce.
    pub nonce_str: String,
    /// `prepay_id=<prepay_id>`.
    pub package: String,
    /// Always `RSA` in v3.
    pub sign_type: String,
    /// Base64 SHA256withRSA over [`pay_sign_message`].
    pub pay_sign: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = include_str!("../testdata/test_merchant_key.pem");
    const TS: i64 = 1_554_208_460;
    const NONCE: &str = "593BEC0C930BF1AFEB40B4A08C8FB242";

    fn signer() -> MerchantSigner {
        MerchantSigner::from_pem(
            "1900000001",
            "4b3c2a19e8f7d6c5b4a3928170f6e5d4c3b2a190",
            KEY,
        )
        .unwrap()
    }

    #[test]
    fn the_canonical_get_message_matches_the_published_example() {
        assert_eq!(
            canonical_request("GET", "/v3/certificates", TS, NONCE, ""),
            "GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n"
        );
    }

    #[test]
    fn signatures_match_openssl() {
        // `openssl dgst -sha256 -sign test_merchant_key.pem` over the same five lines.
        let expected = "bwVqeE19zDmrxJJ4cWeqjqo7qg4YTODqewEWevZ49jNjfpwU6KMk/+V3X9k1JW1QJVGMH5ICGc8QuKUJ3W+r3yrWoJQT5eEvgZjkB69As7gJOQ9IPeJWc7o2B7ohq9lGLQNgpKHTqDLaSx1SsOjNXnDV3I20ABxySTcyg+U1FZ5CCoUdfrav/z70TYWkQ6LsLsbTqQsTGxk2LUnJbj7mpMe5F8SxM8rp1C7zEo9zRpkGPj0SGkrTsjHduV7h7TPTz4XI0MmbPJbTZr5BeBH9K/vUN3oQBv4RT6bK3RwyBtnq+kOrxdayDvVDbGagDV4V8pmKQJF3if70FM21MP0S3A==";
        let header = signer().authorization("GET", "/v3/certificates", "", TS, NONCE);
        assert_eq!(
            header,
            format!(
                "WECHATPAY2-SHA256-RSA2048 mchid=\"1900000001\",nonce_str=\"{NONCE}\",timestamp=\"1554208460\",serial_no=\"4B3C2A19E8F7D6C5B4A3928170F6E5D4C3B2A190\",signature=\"{expected}\""
            )
        );
    }

    #[test]
    fn pay_sign_matches_openssl_over_the_published_sample_data() {
        let params = signer().request_payment(
            "wx2421b1c4370ec43b",
            "wx201410272009395522657a690389285100",
            TS,
            NONCE,
        );
        assert_eq!(
            params.package,
            "prepay_id=wx201410272009395522657a690389285100"
        );
        assert_eq!(params.sign_type, "RSA");
        assert_eq!(
            params.pay_sign,
            "adoslMWUJ/lrnUnI8bSKzKym5Vawmuv5GXFpGEFCSk8H1FX12drp4BTgDGDveDjWI8hBupOBLqGK+CCS0T5tgyiPyJDzTzoQecLWSAaoebKAOq9uA31i2VOaoJWqSBpG0ifi9QK7km8tdTz+AyFBt7jc52EUhN+oZUiJAnff+MwkCmsI6H5rjebh81Ikr9OSv4NuaLU8Rwh5QCPhQzMwkyVQE6sSx5E9GUglVCe8xUbt3y4QzMXbiOssNVVfkxKPim4r/ESgIyGI15X0bDs7hTH+OpfQ6KkY/9AaP6ScBG0LFsSbavNrzkpmcej4VbYMq5wR28GYPPEoX1sO8klGIw=="
        );
        let json = serde_json::to_value(&params).unwrap();
        assert_eq!(json["timeStamp"], "1554208460");
        assert_eq!(json["paySign"], params.pay_sign.as_str());
    }

    #[test]
    fn nonces_are_32_alphanumerics() {
        let n = nonce();
        assert_eq!(n.len(), 32);
        assert!(n.bytes().all(|b| b.is_ascii_alphanumeric()));
    }
}
