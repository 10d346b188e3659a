//! Just enough X.509 to use a platform certificate: its serial and its RSA public key.
//!
//! A full X.509 stack is not needed to verify WeChat Pay signatures: the certificate is
//! obtained over an authenticated channel (decrypted with the APIv3 key, or configured by
//! hand), so only the serial (the key's name in `Wechatpay-Serial`) and the
//! SubjectPublicKeyInfo are read.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rsa::RsaPublicKey;
use rsa::pkcs8::DecodePublicKey as _;

use crate::error::WechatPayError;

/// A parsed platform certificate.
#[derive(Debug, Clone)]
pub struct PlatformCertificate {
    /// The serial in upper-case hex, as `Wechatpay-Serial` carries it.
    pub serial_no: String,
    /// The certificate's RSA public key.
    pub public_key: RsaPublicKey,
}

impl PlatformCertificate {
    /// Reads a PEM `CERTIFICATE`.
    pub fn from_pem(pem: &str) -> Result<Self, WechatPayError> {
        let der = pem_body(pem, "CERTIFICATE")?;
        Self::from_der(&der)
    }

    /// Reads a DER certificate.
    pub fn from_der(der: &[u8]) -> Result<Self, WechatPayError> {
        let bad = || WechatPayError::Config("malformed X.509 certificate".into());
        let (cert, _) = read_tlv(der, 0x30).ok_or_else(bad)?;
        let (mut tbs, _) = read_tlv(cert, 0x30).ok_or_else(bad)?;
        // The version is an explicit [0] tag, present in every v3 certificate.
        if tbs.first() == Some(&0xA0) {
            tbs = read_tlv(tbs, 0xA0).ok_or_else(bad)?.1;
        }
        let (serial, mut rest) = read_tlv(tbs, 0x02).ok_or_else(bad)?;
        // signature algorithm, issuer, validity, subject
        for _ in 0..4 {
            rest = read_tlv(rest, 0x30).ok_or_else(bad)?.1;
        }
        let spki_len = rest.len() - read_tlv(rest, 0x30).ok_or_else(bad)?.1.len();
        let public_key = RsaPublicKey::from_public_key_der(&rest[..spki_len])
            .map_err(|e| WechatPayError::Config(format!("certificate public key: {e}")))?;
        // DER integers carry a leading 0x00 when the high bit is set; serials never show it.
        let serial = match serial {
            [0, tail @ ..] if !tail.is_empty() => tail,
            other => other,
        };
        Ok(Self {
            serial_no: hex::encode_upper(serial),
            public_key,
        })
    }
}

/// The Base64 body of the first PEM block labelled `label`.
pub(crate) fn pem_body(pem: &str, label: &str) -> Result<Vec<u8>, WechatPayError> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem
        .find(&begin)
        .ok_or_else(|| WechatPayError::Config(format!("no {label} PEM block")))?;
    let body = &pem[start + begin.len()..];
    let stop = body
        .find(&end)
        .ok_or_else(|| WechatPayError::Config(format!("unterminated {label} PEM block")))?;
    let text: String = body[..stop]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    STANDARD
        .decode(text)
        .map_err(|_| WechatPayError::Config(format!("{label} PEM is not Base64")))
}

/// One DER element with tag `tag`: its content and the bytes after it.
fn read_tlv(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&first, rest) = input.split_first()?;
    if first != tag {
        return None;
    }
    let (&len_byte, rest) = rest.split_first()?;
    let (len, rest) = if len_byte < 0x80 {
        (usize::from(len_byte), rest)
    } else {
        let count = usize::from(len_byte & 0x7F);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let len = rest[..count]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[count..])
    };
    if rest.len() < len {
        return None;
    }
    Some(rest.split_at(len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_serial_and_key_of_an_openssl_certificate() {
        let cert =
            PlatformCertificate::from_pem(include_str!("../testdata/platform_a.cert.pem")).unwrap();
        assert_eq!(cert.serial_no, "5157F09EFDC096DE15EBE81A47057A7232F1B8E1");
        let merchant =
            PlatformCertificate::from_pem(include_str!("../testdata/test_merchant_cert.pem"))
                .unwrap();
        assert_eq!(
            merchant.serial_no,
            "4B3C2A19E8F7D6C5B4A3928170F6E5D4C3B2A190"
        );
    }

    #[test]
    fn garbage_is_refused() {
        assert!(
            PlatformCertificate::from_pem(
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"
            )
            .is_err()
        );
        assert!(PlatformCertificate::from_pem("nothing").is_err());
    }
}
