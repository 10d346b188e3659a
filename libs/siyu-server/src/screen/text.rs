//! Which characters a string field may hold.
//!
//! PostgreSQL `text` refuses U+0000 (a 500 on one backend, stored on SQLite), control
//! characters forge log lines and break exports, and noncharacters are not for interchange
//! (Unicode §23.7). None is ever meant by a client, so they are refused at the edge, in every
//! field of every request, before a handler or a database sees them.

/// Why a string's bytes were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TextFault {
    /// Not UTF-8 (the message would not decode either).
    NotUtf8,
    /// A character that no field may hold.
    Forbidden(char),
}

/// Whether a field is an identifier, code or key rather than free text: there even tab and
/// line breaks are refused, since no id, code or key contains whitespace controls.
pub(super) fn is_identifier(name: &str) -> bool {
    name == "id"
        || name == "code"
        || ["_id", "_ids", "_code", "_codes", "_key", "_token"]
            .iter()
            .any(|suffix| name.ends_with(suffix))
}

/// Checks a string field's bytes: UTF-8, no C0/C1 control character (tab, line feed and
/// carriage return allowed in free text), no noncharacter.
pub(super) fn check(bytes: &[u8], identifier: bool) -> Result<(), TextFault> {
    let text = std::str::from_utf8(bytes).map_err(|_| TextFault::NotUtf8)?;
    // Only a few lead bytes can start a refused character: C0 controls and DEL, 0xC2 (the C1
    // controls U+0080–U+009F), 0xEF (U+FDD0–U+FDEF, U+FFFE, U+FFFF) and 0xF0–0xF4 (the
    // noncharacters of the other planes). Everything else — ASCII text, CJK, most emoji
    // continuation bytes — is passed over without decoding characters.
    for (at, byte) in bytes.iter().enumerate() {
        let suspect =
            *byte < 0x20 || *byte == 0x7f || *byte == 0xc2 || *byte == 0xef || *byte >= 0xf0;
        if !suspect {
            continue;
        }
        if let Some(c) = text.get(at..).and_then(|rest| rest.chars().next())
            && forbidden(c, identifier)
        {
            return Err(TextFault::Forbidden(c));
        }
    }
    Ok(())
}

/// `c` is a control character (general category Cc: U+0000–U+001F, U+007F–U+009F) other than
/// the whitespace free text may carry, or a noncharacter (U+FDD0–U+FDEF, U+nFFFE, U+nFFFF).
fn forbidden(c: char, identifier: bool) -> bool {
    if c.is_control() {
        return identifier || !matches!(c, '\t' | '\n' | '\r');
    }
    let code = u32::from(c);
    (0xFDD0..=0xFDEF).contains(&code) || code & 0xFFFE == 0xFFFE
}

/// How a refused character is named to the client: its code point, never the text around it.
pub(super) fn describe(c: char) -> String {
    let kind = if c.is_control() {
        "the control character"
    } else {
        "the noncharacter"
    };
    format!("must not contain {kind} U+{:04X}", u32::from(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_text_and_whitespace_in_free_text_pass() {
        assert_eq!(check(b"demo", true), Ok(()));
        assert_eq!(check("南京西路店 🛍".as_bytes(), false), Ok(()));
        assert_eq!(check(b"line one\r\n\tline two", false), Ok(()));
    }

    #[test]
    fn controls_and_noncharacters_are_refused() {
        for (text, c) in [
            ("de\u{0}mo", '\u{0}'),
            ("a\u{1b}[31m", '\u{1b}'),
            ("del\u{7f}", '\u{7f}'),
            ("c1\u{85}", '\u{85}'),
            ("c1\u{9f}", '\u{9f}'),
            ("x\u{fdd0}", '\u{fdd0}'),
            ("x\u{fffe}", '\u{fffe}'),
            ("x\u{ffff}", '\u{ffff}'),
            ("x\u{1fffe}", '\u{1fffe}'),
            ("x\u{10ffff}", '\u{10ffff}'),
        ] {
            assert_eq!(
                check(text.as_bytes(), false),
                Err(TextFault::Forbidden(c)),
                "{text:?}"
            );
        }
        // Identifiers refuse whitespace controls too.
        assert_eq!(check(b"sku\n1", true), Err(TextFault::Forbidden('\n')));
        assert_eq!(check(b"\xff\xfe", false), Err(TextFault::NotUtf8));
    }

    #[test]
    fn identifiers_are_told_by_their_names() {
        for name in [
            "id",
            "tenant_code",
            "sku_ids",
            "product_id",
            "page_token",
            "app_key",
        ] {
            assert!(is_identifier(name), "{name}");
        }
        for name in ["title", "nickname", "query", "description", "code_hint"] {
            assert!(!is_identifier(name), "{name}");
        }
    }

    #[test]
    fn descriptions_name_the_code_point() {
        assert_eq!(
            describe('\u{0}'),
            "must not contain the control character U+0000"
        );
        assert_eq!(
            describe('\u{fffe}'),
            "must not contain the noncharacter U+FFFE"
        );
    }
}
