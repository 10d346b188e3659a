//! WeChat Pay's side of the keys: platform certificates, the WeChat Pay public key, and the
//! switch between them. All key material is the TEST-ONLY set shipped in `keys/`.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::crypto::RsaSigner;

/// The default test merchant's private key (TEST ONLY), handed to tests by the control API.
pub(crate) const TEST_MERCHANT_KEY_PEM: &str = include_str!("../../keys/test_merchant.key.pem");
/// The default test merchant's certificate serial.
pub(crate) const TEST_MERCHANT_SERIAL: &str = "4B3C2A19E8F7D6C5B4A3928170F6E5D4C3B2A190";
/// The WeChat Pay public key id of the sandbox.
pub(crate) const PUBLIC_KEY_ID: &str = "PUB_KEY_ID_0114232134912410000000000000";

/// One platform certificate with its private key.
#[derive(Debug, Clone)]
pub(crate) struct PlatformCert {
    pub(crate) serial_no: String,
    pub(crate) pem: &'static str,
    pub(crate) signer: RsaSigner,
    /// When it starts signing: a new certificate is listed 24 hours before it takes over.
    pub(crate) signs_from: DateTime<Utc>,
}

/// Which keys sign, following WeChat Pay's documented migration.
#[derive(Debug)]
pub(crate) struct PlatformKeys {
    /// Listed certificates, oldest first; the newest one whose time has come signs.
    pub(crate) certificates: Vec<PlatformCert>,
    /// Certificates a rotation can still switch to.
    spare: Vec<PlatformCert>,
    pub(crate) public_key: RsaSigner,
    /// The public key has been issued: callbacks use it, and answers do when asked for.
    pub(crate) public_key_enabled: bool,
    /// "作废平台证书": everything is signed with the public key and the list is empty.
    pub(crate) certificates_revoked: bool,
}

/// The key that signs one answer or callback.
#[derive(Debug, Clone)]
pub(crate) struct SigningChoice {
    pub(crate) serial: String,
    pub(crate) signer: RsaSigner,
}

/// What `GET /sandbox/pay/platform` shows: every key a merchant may need to trust.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct PlatformView {
    /// Listed certificates (serial and PEM), oldest first.
    pub certificates: Vec<CertificateView>,
    /// The WeChat Pay public key id.
    pub public_key_id: String,
    /// The WeChat Pay public key PEM.
    pub public_key_pem: String,
    /// Whether the public key signs callbacks (and answers asked for with its id).
    pub public_key_enabled: bool,
    /// Whether certificates are withdrawn (everything is signed with the public key).
    pub certificates_revoked: bool,
}

/// One certificate in [`PlatformView`].
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct CertificateView {
    /// Upper-case hex serial.
    pub serial_no: String,
    /// The certificate PEM.
    pub pem: String,
}

impl PlatformKeys {
    /// The shipped test keys; certificate A signs.
    pub(crate) fn shipped() -> Result<Self, String> {
        let a = PlatformCert {
            serial_no: "5157F09EFDC096DE15EBE81A47057A7232F1B8E1".into(),
            pem: include_str!("../../keys/platform_a.cert.pem"),
            signer: RsaSigner::from_pem(include_str!("../../keys/platform_a.key.pem"))?,
            signs_from: DateTime::<Utc>::MIN_UTC,
        };
        let b = PlatformCert {
            serial_no: "6E2D1C0B9A8F7E6D5C4B3A29180F7E6D5C4B3A29".into(),
            pem: include_str!("../../keys/platform_b.cert.pem"),
            signer: RsaSigner::from_pem(include_str!("../../keys/platform_b.key.pem"))?,
            signs_from: DateTime::<Utc>::MAX_UTC,
        };
        Ok(Self {
            certificates: vec![a],
            spare: vec![b],
            public_key: RsaSigner::from_pem(include_str!(
                "../../keys/wechatpay_public_key.key.pem"
            ))?,
            public_key_enabled: false,
            certificates_revoked: false,
        })
    }

    /// Lists the next certificate beside the current one; it signs from `now + 24 h`.
    pub(crate) fn rotate_certificate(&mut self, now: DateTime<Utc>) -> Result<String, String> {
        if self.spare.is_empty() {
            return Err("no spare test certificate left to rotate to".into());
        }
        let mut next = self.spare.remove(0);
        next.signs_from = now + Duration::hours(24);
        let serial = next.serial_no.clone();
        self.certificates.push(next);
        Ok(serial)
    }

    /// The key for an answer: the public key when certificates are withdrawn, or when it is
    /// issued and the request named it in `Wechatpay-Serial`; otherwise the newest certificate.
    pub(crate) fn for_answer(
        &self,
        requested_serial: Option<&str>,
        now: DateTime<Utc>,
    ) -> SigningChoice {
        let asked_for_key = requested_serial.is_some_and(|s| s == PUBLIC_KEY_ID);
        if self.certificates_revoked || (self.public_key_enabled && asked_for_key) {
            return self.public_key_choice();
        }
        self.newest_certificate(now)
    }

    /// The key for a callback: the public key once issued (the gradual switch is over in the
    /// sandbox at once), otherwise the newest certificate.
    pub(crate) fn for_callback(&self, now: DateTime<Utc>) -> SigningChoice {
        if self.public_key_enabled || self.certificates_revoked {
            return self.public_key_choice();
        }
        self.newest_certificate(now)
    }

    fn public_key_choice(&self) -> SigningChoice {
        SigningChoice {
            serial: PUBLIC_KEY_ID.into(),
            signer: self.public_key.clone(),
        }
    }

    fn newest_certificate(&self, now: DateTime<Utc>) -> SigningChoice {
        match self.certificates.iter().rev().find(|c| c.signs_from <= now) {
            Some(cert) => SigningChoice {
                serial: cert.serial_no.clone(),
                signer: cert.signer.clone(),
            },
            None => self.public_key_choice(),
        }
    }

    /// The certificates `/v3/certificates` lists (none once withdrawn).
    pub(crate) fn listed(&self) -> &[PlatformCert] {
        if self.certificates_revoked {
            &[]
        } else {
            &self.certificates
        }
    }

    pub(crate) fn view(&self) -> PlatformView {
        PlatformView {
            certificates: self
                .listed()
                .iter()
                .map(|c| CertificateView {
                    serial_no: c.serial_no.clone(),
                    pem: c.pem.to_owned(),
                })
                .collect(),
            public_key_id: PUBLIC_KEY_ID.into(),
            public_key_pem: super::crypto::public_key_pem(&self.public_key.public_key()),
            public_key_enabled: self.public_key_enabled,
            certificates_revoked: self.certificates_revoked,
        }
    }
}
