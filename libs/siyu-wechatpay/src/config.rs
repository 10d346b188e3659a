//! What a merchant configures: ids, keys, the API host.

use std::time::Duration;

use secrecy::SecretString;

/// WeChat Pay's primary API host.
pub const PRIMARY_BASE_URL: &str = "https://api.mch.weixin.qq.com";
/// The backup host, for failover.
pub const BACKUP_BASE_URL: &str = "https://api2.mch.weixin.qq.com";

/// A direct merchant's WeChat Pay settings.
#[derive(Debug, Clone)]
pub struct MerchantConfig {
    /// The merchant id (商户号).
    pub mchid: String,
    /// The merchant API certificate serial, upper-case hex.
    pub serial_no: String,
    /// `apiclient_key.pem` (PKCS#8 or PKCS#1).
    pub private_key_pem: SecretString,
    /// The 32-byte APIv3 key that decrypts callbacks and certificates.
    pub apiv3_key: SecretString,
    /// `https://api.mch.weixin.qq.com`, or the sandbox's base URL in tests.
    pub base_url: String,
    /// Per-request timeout.
    pub timeout: Duration,
}

impl MerchantConfig {
    /// Settings for the primary host with a 10-second timeout.
    pub fn new(mchid: &str, serial_no: &str, private_key_pem: &str, apiv3_key: &str) -> Self {
        Self {
            mchid: mchid.to_owned(),
            serial_no: serial_no.to_owned(),
            private_key_pem: SecretString::from(private_key_pem.to_owned()),
            apiv3_key: SecretString::from(apiv3_key.to_owned()),
            base_url: PRIMARY_BASE_URL.to_owned(),
            timeout: Duration::from_secs(10),
        }
    }

    /// The same settings against another host (the sandbox).
    pub fn with_base_url(mut self, base_url: &str) -> Self {
        self.base_url = base_url.trim_end_matches('/').to_owned();
        self
    }
}
