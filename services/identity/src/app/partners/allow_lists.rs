//! What a partner client may be allowed: the scopes of partner.proto and an IP allow-list of
//! addresses and CIDR blocks, checked when a client is written and when it asks for a token.

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::error::AppError;

/// Scopes a partner client may be granted (partner.proto).
pub const KNOWN_SCOPES: &[&str] = &[
    "catalog.read",
    "catalog.write",
    "inventory.read",
    "inventory.write",
    "members.read",
    "members.write",
    "orders.read",
    "orders.write",
    "orders.pii.read",
    "aftersales.write",
    "payments.read",
    "content.read",
];

/// Checks scopes against [`KNOWN_SCOPES`] (UNKNOWN_SCOPE naming the first bad one).
pub fn check_scopes(scopes: &[String], field: &str) -> Result<(), AppError> {
    match scopes.iter().find(|s| !KNOWN_SCOPES.contains(&s.as_str())) {
        None => Ok(()),
        Some(bad) => Err(AppError::InvalidWithMeta {
            reason: "UNKNOWN_SCOPE",
            field: field.to_owned(),
            description: "is not a known scope".into(),
            meta: BTreeMap::from([("scope".to_owned(), bad.clone())]),
        }),
    }
}

/// An allow-list entry: an address or a CIDR block.
#[derive(Debug, Clone, Copy)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `1.2.3.4`, `10.0.0.0/8`, `2001:db8::/32`.
    pub fn parse(value: &str) -> Option<Self> {
        let (addr, prefix) = match value.split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (value.parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Self { addr, prefix })
    }

    /// True when `ip` lies in the block.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let (a, b, bits) = match (self.addr, ip) {
            (IpAddr::V4(a), IpAddr::V4(b)) => {
                (u128::from(a.to_bits()), u128::from(b.to_bits()), 32)
            }
            (IpAddr::V6(a), IpAddr::V6(b)) => (a.to_bits(), b.to_bits(), 128),
            (IpAddr::V6(a), IpAddr::V4(b)) => (a.to_bits(), b.to_ipv6_mapped().to_bits(), 128),
            (IpAddr::V4(a), IpAddr::V6(b)) => match b.to_ipv4_mapped() {
                Some(b) => (u128::from(a.to_bits()), u128::from(b.to_bits()), 32),
                None => return false,
            },
        };
        let host_bits = bits - u32::from(self.prefix);
        if host_bits >= 128 {
            return true;
        }
        (a >> host_bits) == (b >> host_bits)
    }
}

/// Checks every allow-list entry parses (INVALID_CIDR otherwise).
pub fn check_cidrs(entries: &[String], field: &str) -> Result<(), AppError> {
    match entries.iter().find(|e| Cidr::parse(e).is_none()) {
        None => Ok(()),
        Some(bad) => Err(AppError::InvalidWithMeta {
            reason: "INVALID_CIDR",
            field: field.to_owned(),
            description: "is not an IP address or CIDR block".into(),
            meta: BTreeMap::from([("cidr".to_owned(), bad.clone())]),
        }),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn cidr_blocks_match_their_addresses_only() {
        let block = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(block.contains("10.1.200.3".parse().unwrap()));
        assert!(!block.contains("10.2.0.1".parse().unwrap()));
        let one = Cidr::parse("203.0.113.7").unwrap();
        assert!(one.contains("203.0.113.7".parse().unwrap()));
        assert!(!one.contains("203.0.113.8".parse().unwrap()));
        assert!(
            Cidr::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        assert!(
            Cidr::parse("2001:db8::/32")
                .unwrap()
                .contains("2001:db8::1".parse().unwrap())
        );
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(Cidr::parse("not-an-ip").is_none());
    }

    #[test]
    fn the_scopes_are_those_the_contracts_check() {
        let ok: Vec<String> = ["orders.pii.read", "aftersales.write", "payments.read"]
            .map(String::from)
            .to_vec();
        assert!(check_scopes(&ok, "scopes").is_ok());
        for retired in ["points.write", "coupons.write"] {
            let err = check_scopes(&[retired.to_owned()], "scopes").unwrap_err();
            assert!(matches!(
                err,
                AppError::InvalidWithMeta {
                    reason: "UNKNOWN_SCOPE",
                    ..
                }
            ));
        }
    }
}
