//! TOTP (RFC 6238 over RFC 4226 HOTP): HMAC-SHA1, 30-second steps, 6 digits, the current step
//! ±1 accepted. Pure functions; storage, replay protection and lockout live in `app::staff::totp`.

use hmac::{Hmac, Mac};
use sha1::Sha1;

use crate::crypto::{CryptoError, random_bytes};

/// Length of a time step in seconds.
pub const STEP_SECS: i64 = 30;
/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Steps accepted either side of the current one (clock drift, typing time).
pub const WINDOW: i64 = 1;
/// Bytes of a new secret (160 bits, the size RFC 4226 recommends for HMAC-SHA1).
pub const SECRET_BYTES: usize = 20;

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// Recovery-code alphabet: lowercase Crockford base32 (no i, l, o, u), 32 symbols so each
/// random byte's low 5 bits pick one without bias.
const RECOVERY: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// The time step containing `unix_secs`.
pub fn step_of(unix_secs: i64) -> i64 {
    unix_secs.div_euclid(STEP_SECS)
}

/// RFC 4226 HOTP value of `counter` with `digits` digits (HMAC-SHA1, dynamic truncation).
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> u32 {
    // HMAC accepts keys of any length, so this cannot fail; an empty MAC would only yield a
    // code nobody can produce.
    let Ok(mut mac) = <Hmac<Sha1> as Mac>::new_from_slice(secret) else {
        return u32::MAX;
    };
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[hash.len() - 1] & 0x0f);
    let binary = (u32::from(hash[offset]) & 0x7f) << 24
        | u32::from(hash[offset + 1]) << 16
        | u32::from(hash[offset + 2]) << 8
        | u32::from(hash[offset + 3]);
    binary % 10u32.pow(digits)
}

/// The 6-digit code of `step`, zero-padded.
pub fn code_at(secret: &[u8], step: i64) -> String {
    let value = hotp(secret, u64::try_from(step).unwrap_or_default(), DIGITS);
    format!("{value:06}")
}

/// The step within ±[`WINDOW`] of `now_step` whose code is `code`, if any. Every candidate is
/// compared in constant time and all are computed, so timing does not reveal which matched.
pub fn matching_step(secret: &[u8], code: &str, now_step: i64) -> Option<i64> {
    let mut found = None;
    for step in (now_step - WINDOW)..=(now_step + WINDOW) {
        if constant_eq(code_at(secret, step).as_bytes(), code.as_bytes()) && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// True when `code` has the shape of a TOTP code (6 ASCII digits).
pub fn is_totp_code(code: &str) -> bool {
    code.len() == DIGITS as usize && code.bytes().all(|b| b.is_ascii_digit())
}

/// True when `code` has the shape of a recovery code ("xxxx-xxxx").
pub fn is_recovery_code(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 9
        && b[4] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || RECOVERY.contains(&c.to_ascii_lowercase()))
}

/// A new secret from the OS random generator.
pub fn new_secret() -> Result<[u8; SECRET_BYTES], CryptoError> {
    random_bytes::<SECRET_BYTES>()
}

/// `n` recovery codes "xxxx-xxxx" (40 random bits each) from the OS random generator.
pub fn new_recovery_codes(n: usize) -> Result<Vec<String>, CryptoError> {
    (0..n)
        .map(|_| {
            let bytes = random_bytes::<8>()?;
            let mut code = String::with_capacity(9);
            for (i, b) in bytes.iter().enumerate() {
                if i == 4 {
                    code.push('-');
                }
                code.push(char::from(RECOVERY[usize::from(b & 0x1f)]));
            }
            Ok(code)
        })
        .collect()
}

/// RFC 4648 base32 without padding (what authenticator apps expect).
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((buffer >> bits) & 0x1f) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(BASE32[((buffer << (5 - bits)) & 0x1f) as usize]));
    }
    out
}

/// Decodes RFC 4648 base32 (case-insensitive, padding ignored); None on a foreign character.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.bytes().filter(|c| *c != b'=') {
        let value = BASE32.iter().position(|x| *x == c.to_ascii_uppercase())?;
        buffer = (buffer << 5) | u32::try_from(value).ok()?;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

/// The `otpauth://` URI of the proto ("Siyu:<tenant>:<login>" label, SHA1, 6 digits, 30 s).
pub fn otpauth_uri(tenant: &str, login: &str, secret_b32: &str) -> String {
    format!(
        "otpauth://totp/Siyu:{}:{}?secret={secret_b32}&issuer=Siyu&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        percent(tenant),
        percent(login)
    )
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn percent(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    /// RFC 6238 appendix B, SHA-1 rows (8 digits, seed "12345678901234567890").
    #[test]
    fn rfc6238_sha1_vectors() {
        let seed = b"12345678901234567890";
        for (time, expected) in [
            (59_i64, 94_287_082_u32),
            (1_111_111_109, 7_081_804),
            (1_111_111_111, 14_050_471),
            (1_234_567_890, 89_005_924),
            (2_000_000_000, 69_279_037),
            (20_000_000_000, 65_353_130),
        ] {
            let step = u64::try_from(step_of(time)).unwrap();
            assert_eq!(hotp(seed, step, 8), expected, "T = {time}");
        }
        // The 6-digit form is the low 6 digits of the same value.
        assert_eq!(code_at(seed, step_of(1_111_111_109)), "081804");
    }

    #[test]
    fn window_is_one_step_either_side() {
        let secret = b"12345678901234567890";
        let now = step_of(1_111_111_111);
        for offset in -1..=1 {
            let code = code_at(secret, now + offset);
            assert_eq!(matching_step(secret, &code, now), Some(now + offset));
        }
        assert_eq!(matching_step(secret, &code_at(secret, now + 2), now), None);
        assert_eq!(matching_step(secret, &code_at(secret, now - 2), now), None);
        assert_eq!(matching_step(secret, "12345", now), None);
    }

    #[test]
    fn base32_round_trips_rfc4648_vectors() {
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_encode(b"f"), "MY");
        assert_eq!(base32_decode("MZXW6YTBOI").unwrap(), b"foobar");
        assert_eq!(base32_decode("mzxw6ytboi======").unwrap(), b"foobar");
        let secret = new_secret().unwrap();
        assert_eq!(base32_decode(&base32_encode(&secret)).unwrap(), secret);
        assert!(base32_decode("M1").is_none());
    }

    #[test]
    fn recovery_codes_have_the_shape() {
        let codes = new_recovery_codes(10).unwrap();
        assert_eq!(codes.len(), 10);
        assert!(codes.iter().all(|c| is_recovery_code(c)));
        assert!(!is_recovery_code("abcd_efgh") && !is_recovery_code("123456"));
        assert!(is_totp_code("012345") && !is_totp_code("01234a"));
    }

    #[test]
    fn uri_escapes_the_label() {
        let uri = otpauth_uri("acme", "li lei", "ABC");
        assert_eq!(
            uri,
            "otpauth://totp/Siyu:acme:li%20lei?secret=ABC&issuer=Siyu&algorithm=SHA1&digits=6&period=30"
        );
    }
}
