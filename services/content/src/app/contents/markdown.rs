//! The content check of an article body. The body is CommonMark that front ends render; it must
//! not smuggle anything a renderer would execute or load from an unsafe origin. Raw HTML (block
//! or inline, `<script>`, `<img onerror=…>`, comments) is refused rather than escaped, so what
//! staff see in the console is what consumers get; links may be `https:`, `http:`, `mailto:`,
//! `tel:` or scheme-less (a page path), images only `https:`.

use pulldown_cmark::{Event, Options, Parser, Tag};

/// At most this many characters in a body (the contract's limit).
pub const MAX_CHARS: usize = 200_000;

/// Why a body was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// More than [`MAX_CHARS`] characters.
    TooLarge,
    /// Raw HTML, a script or an unsafe link; the text says which.
    Rejected(String),
}

/// Checks `markdown` (see the module docs).
pub fn check(markdown: &str) -> Result<(), Refusal> {
    if markdown.chars().count() > MAX_CHARS {
        return Err(Refusal::TooLarge);
    }
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    for event in Parser::new_ext(markdown, options) {
        match event {
            Event::Html(_) | Event::InlineHtml(_) => {
                return Err(Refusal::Rejected("raw HTML is not allowed".into()));
            }
            Event::Start(Tag::Link { dest_url, .. }) if !link_allowed(&dest_url) => {
                return Err(Refusal::Rejected(format!(
                    "link scheme not allowed: {}",
                    shown(&dest_url)
                )));
            }
            Event::Start(Tag::Image { dest_url, .. })
                if scheme(&dest_url).as_deref() != Some("https") =>
            {
                return Err(Refusal::Rejected(format!(
                    "images must be https URLs: {}",
                    shown(&dest_url)
                )));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Whether `url` may be the target of a link.
pub fn link_allowed(url: &str) -> bool {
    match scheme(url) {
        None => true,
        Some(s) => matches!(s.as_str(), "https" | "http" | "mailto" | "tel"),
    }
}

/// Whether `url` is an absolute `https:` URL (covers, banner images).
pub fn is_https(url: &str) -> bool {
    scheme(url).as_deref() == Some("https") && url.len() > "https://".len()
}

/// The lower-cased scheme of `url`, ignoring the whitespace and control characters browsers
/// drop (`java\tscript:`); `None` for a relative reference.
fn scheme(url: &str) -> Option<String> {
    let cleaned: String = url
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
        .collect();
    let (head, _) = cleaned.split_once(':')?;
    let valid = head.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && head
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    // A colon after a path or query character (`/a:b`, `?x=a:b`) is not a scheme.
    valid.then(|| head.to_ascii_lowercase())
}

/// A URL cut short for an error message.
fn shown(url: &str) -> String {
    url.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(md: &str) -> bool {
        matches!(check(md), Err(Refusal::Rejected(_)))
    }

    #[test]
    fn plain_markdown_passes() {
        let md = "# 春季上新\n\n**亮点**: [查看](/pages/product?id=1) 和 [官网](https://x.cn)\n\n\
                  ![图](https://img.x.cn/a.jpg)\n\n[[product:0190b2c4-0000-7000-8000-000000000001]]\n\n\
                  | a | b |\n|---|---|\n| 1 | 2 |";
        assert_eq!(check(md), Ok(()));
    }

    #[test]
    fn raw_html_and_scripts_are_refused() {
        assert!(rejected("<script>alert(1)</script>"));
        assert!(rejected("hello <img src=x onerror=alert(1)> world"));
        assert!(rejected("<div>block</div>"));
        assert!(rejected("text <!-- hidden --> text"));
        assert!(rejected("<iframe src=\"https://evil\"></iframe>"));
    }

    #[test]
    fn unsafe_link_schemes_are_refused() {
        assert!(rejected("[x](javascript:alert(1))"));
        assert!(rejected("[x](JaVaScRiPt:alert(1))"));
        assert!(rejected("<javascript:alert(1)>"));
        assert!(rejected("[x](data:text/html;base64,PHNjcmlwdD4=)"));
        assert!(rejected("[x](vbscript:msgbox)"));
        assert!(rejected("[x](java&#9;script:alert(1))"));
        assert!(rejected("![x](http://img.x.cn/a.jpg)"));
        assert!(rejected("![x](javascript:alert(1))"));
    }

    #[test]
    fn escaped_html_is_text() {
        assert_eq!(check("1 \\< 2 and `<script>` in code"), Ok(()));
        assert_eq!(check("```\n<script>alert(1)</script>\n```"), Ok(()));
    }

    #[test]
    fn the_size_limit_counts_characters() {
        assert_eq!(check(&"字".repeat(MAX_CHARS)), Ok(()));
        assert_eq!(check(&"a".repeat(MAX_CHARS + 1)), Err(Refusal::TooLarge));
    }

    #[test]
    fn schemes_are_read_like_a_browser_does() {
        assert!(link_allowed("/pages/index"));
        assert!(link_allowed("pages/a?b=c:d"));
        assert!(!link_allowed(" javascript:x"));
        assert!(is_https("https://img.x.cn/a.png"));
        assert!(!is_https("http://img.x.cn/a.png"));
        assert!(!is_https("https://"));
    }
}
