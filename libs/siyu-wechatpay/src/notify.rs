//! Callbacks (notify): verify the signature over the raw body, then decrypt `resource`.
//!
//! A gateway route hands the raw body and headers to [`verify_and_decrypt`]; it must answer
//! 4xx/5xx when this fails (WeChat Pay then retries, and resends probes correctly signed) and
//! 200/204 once the result is persisted.

use serde::{Deserialize, Serialize};

use crate::aead;
use crate::error::WechatPayError;
use crate::model::{Refund, Transaction};
use crate::verify::{PlatformKeys, SignedHeaders};

/// The callback envelope as WeChat Pay POSTs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// The notification id (duplicates reuse it; key business effects on out_trade_no).
    pub id: String,
    /// RFC3339.
    pub create_time: String,
    /// `TRANSACTION.SUCCESS`, `REFUND.SUCCESS`, `REFUND.ABNORMAL`, `REFUND.CLOSED`.
    pub event_type: String,
    /// `encrypt-resource`.
    pub resource_type: String,
    /// E.g. `支付成功`.
    #[serde(default)]
    pub summary: String,
    /// The encrypted payload.
    pub resource: Resource,
}

/// The encrypted `resource` of a callback (also the shape of an encrypted certificate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    /// `transaction`, `refund`, …
    #[serde(default)]
    pub original_type: String,
    /// `AEAD_AES_256_GCM`.
    pub algorithm: String,
    /// Base64 of ciphertext and tag.
    pub ciphertext: String,
    /// AAD.
    #[serde(default)]
    pub associated_data: String,
    /// 12-character nonce.
    pub nonce: String,
}

impl Resource {
    /// Decrypts with the APIv3 key.
    pub fn decrypt(&self, apiv3_key: &[u8]) -> Result<Vec<u8>, WechatPayError> {
        if self.algorithm != aead::ALGORITHM {
            return Err(WechatPayError::Malformed(format!(
                "unsupported algorithm {}",
                self.algorithm
            )));
        }
        aead::decrypt(
            apiv3_key,
            &self.nonce,
            &self.associated_data,
            &self.ciphertext,
        )
    }
}

/// A callback whose signature verified and whose resource decrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedNotification {
    /// The envelope.
    pub envelope: Notification,
    /// The decrypted resource, JSON text.
    pub plaintext: String,
}

impl VerifiedNotification {
    /// The payment of a `TRANSACTION.*` callback.
    pub fn transaction(&self) -> Result<Transaction, WechatPayError> {
        serde_json::from_str(&self.plaintext).map_err(|e| WechatPayError::Malformed(e.to_string()))
    }

    /// The refund of a `REFUND.*` callback.
    pub fn refund(&self) -> Result<Refund, WechatPayError> {
        serde_json::from_str(&self.plaintext).map_err(|e| WechatPayError::Malformed(e.to_string()))
    }
}

/// Verifies a callback over its raw `body` at Unix time `now`, then decrypts it.
///
/// Never decrypts an unverified body. Probes, tampering, stale timestamps, unknown serials
/// and a wrong APIv3 key all fail.
pub fn verify_and_decrypt(
    keys: &PlatformKeys,
    apiv3_key: &[u8],
    headers: &SignedHeaders,
    body: &[u8],
    now: i64,
) -> Result<VerifiedNotification, WechatPayError> {
    keys.verify(headers, body, now)?;
    let envelope: Notification =
        serde_json::from_slice(body).map_err(|e| WechatPayError::Malformed(e.to_string()))?;
    let plain = envelope.resource.decrypt(apiv3_key)?;
    let plaintext =
        String::from_utf8(plain).map_err(|e| WechatPayError::Malformed(e.to_string()))?;
    Ok(VerifiedNotification {
        envelope,
        plaintext,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wechatpay_java_certificate_download_decrypts_to_its_certificate() {
        // The certificate list of wechatpay-java's test fixtures, with that SDK's test APIv3 key.
        let body: serde_json::Value =
            serde_json::from_str(include_str!("../testdata/wechatpay_java_certificates.json"))
                .unwrap();
        let entry = &body["data"][0];
        let resource: Resource =
            serde_json::from_value(entry["encrypt_certificate"].clone()).unwrap();
        let pem = resource
            .decrypt(b"a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb")
            .unwrap();
        let pem = String::from_utf8(pem).unwrap();
        let cert = crate::cert::PlatformCertificate::from_pem(&pem).unwrap();
        assert_eq!(cert.serial_no, entry["serial_no"].as_str().unwrap());
        assert_eq!(cert.serial_no, "5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC");
    }
}
