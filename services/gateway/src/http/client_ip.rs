//! The client IP, for per-IP limits, idempotency scopes of public routes and the
//! `x-client-ip` metadata services read (OTP limits, partner IP allow-lists).

use std::net::{IpAddr, SocketAddr};

use http::HeaderMap;

/// The socket peer, or — behind `hops` trusted proxies — the address those proxies saw,
/// `hops` entries from the right of `X-Forwarded-For`. Entries further left are written by
/// the client and never trusted.
pub fn client_ip(peer: SocketAddr, headers: &HeaderMap, hops: usize) -> IpAddr {
    if hops == 0 {
        return peer.ip();
    }
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    forwarded
        .len()
        .checked_sub(hops)
        .and_then(|i| forwarded.get(i))
        .and_then(|ip| ip.parse().ok())
        .unwrap_or_else(|| peer.ip())
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    #[test]
    fn forwarded_for_is_read_from_the_right() {
        let peer: SocketAddr = "10.0.0.1:5000".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("6.6.6.6, 1.2.3.4"),
        );
        assert_eq!(client_ip(peer, &headers, 0), peer.ip());
        assert_eq!(client_ip(peer, &headers, 1).to_string(), "1.2.3.4");
        assert_eq!(client_ip(peer, &headers, 3), peer.ip());
    }
}
