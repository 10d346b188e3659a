//! Scene codes: 10 characters of Crockford base32, so "s=<code>" (12 characters) fits the
//! 32 visible characters WeChat allows in a mini-program code's `scene`.

/// Crockford's base32 alphabet (no I, L, O, U: nothing a reader confuses when typing a code).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Length of a scene code.
pub const LEN: usize = 10;

/// At most this many characters in WeChat's `scene` parameter.
pub const WECHAT_SCENE_MAX: usize = 32;

/// Why a scene code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Malformed {
    /// Empty.
    Empty,
    /// Longer than WeChat's `scene` could ever carry.
    TooLong,
    /// Not 10 characters of Crockford base32.
    NotACode,
}

impl Malformed {
    /// What the field violation says.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Empty => "required",
            Self::TooLong => "at most 32 characters (the WeChat scene limit)",
            Self::NotACode => "must be 10 characters of Crockford base32, optionally after \"s=\"",
        }
    }
}

/// A fresh code from the random bits of a UUIDv7 (its lowest 62 bits are random; 50 are used).
pub fn generate() -> String {
    let mut n = siyu_core::id::new().as_u128();
    let mut out = [0u8; LEN];
    for c in out.iter_mut().rev() {
        *c = ALPHABET[(n & 31) as usize];
        n >>= 5;
    }
    out.iter().map(|&b| char::from(b)).collect()
}

/// The code in `input` (the launch's `scene` or the link's `s` query: "s=<code>" or the bare
/// code, any case), normalised to upper case.
pub fn parse(input: &str) -> Result<String, Malformed> {
    if input.is_empty() {
        return Err(Malformed::Empty);
    }
    if input.chars().count() > WECHAT_SCENE_MAX {
        return Err(Malformed::TooLong);
    }
    let code = input
        .strip_prefix("s=")
        .unwrap_or(input)
        .to_ascii_uppercase();
    if code.len() != LEN || !code.bytes().all(|b| ALPHABET.contains(&b)) {
        return Err(Malformed::NotACode);
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_parse_and_fit_the_wechat_scene() {
        for _ in 0..200 {
            let code = generate();
            assert_eq!(code.len(), LEN);
            assert_eq!(parse(&code), Ok(code.clone()));
            assert_eq!(parse(&format!("s={code}")), Ok(code.clone()));
            assert_eq!(parse(&code.to_lowercase()), Ok(code.clone()));
            assert!(format!("s={code}").len() <= WECHAT_SCENE_MAX);
        }
    }

    #[test]
    fn malformed_codes_are_refused_with_their_reason() {
        assert_eq!(parse(""), Err(Malformed::Empty));
        assert_eq!(parse(&"A".repeat(33)), Err(Malformed::TooLong));
        assert_eq!(parse("s=ABC"), Err(Malformed::NotACode));
        assert_eq!(
            parse("ABCDEFGHIL"),
            Err(Malformed::NotACode),
            "L is not Crockford"
        );
        assert_eq!(parse("s=ABCDEFGH J"), Err(Malformed::NotACode));
        assert_eq!(parse("场景码场景码场景码场景"), Err(Malformed::NotACode));
    }
}
