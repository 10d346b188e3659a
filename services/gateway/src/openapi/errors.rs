//! The errors an RPC's comment lists (`Errors: NOT_FOUND PRODUCT_NOT_FOUND; ALREADY_EXISTS
//! SKU_CODE_TAKEN, BARCODE_TAKEN (metadata sku index)`): each gRPC code with its reasons.
//!
//! The contract writes them as prose for people; this reads the one convention every proto
//! follows — a code name, then the reasons it answers with — and ignores the rest
//! (parenthesised explanations, "as CreateProduct").

use tonic::Code;

/// One listed error: the gRPC code and the `ErrorInfo.reason`, when the comment names one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedError {
    /// The gRPC code.
    pub code: Code,
    /// The reason (`PRODUCT_NOT_FOUND`), if named.
    pub reason: Option<String>,
}

/// The errors listed after `Errors:` in `comment`, in order.
pub fn listed(comment: &str) -> Vec<ListedError> {
    let mut out = Vec::new();
    for (i, section) in comment.split("Errors:").enumerate() {
        if i == 0 {
            continue;
        }
        read_section(section, &mut out);
    }
    out
}

fn read_section(section: &str, out: &mut Vec<ListedError>) {
    // The current code, and whether a reason was recorded for it.
    let mut code: Option<(Code, bool)> = None;
    let mut depth = 0usize;
    for token in section.split_whitespace() {
        let inside = depth > 0 || token.starts_with('(');
        depth = (depth + token.matches('(').count()).saturating_sub(token.matches(')').count());
        if inside {
            continue;
        }
        // The next labelled part of the comment (`Idempotent:`, `Audit:`) ends the list.
        if token.ends_with(':') {
            break;
        }
        let word = token.trim_matches(|c: char| !(c.is_ascii_alphanumeric() || c == '_'));
        if let Some(found) = code_of(word) {
            close(code.take(), out);
            code = Some((found, false));
        } else if let Some((current, named)) = &mut code
            && is_reason(word)
        {
            *named = true;
            out.push(ListedError {
                code: *current,
                reason: Some(word.to_owned()),
            });
        }
        if token.ends_with('.') {
            close(code.take(), out);
        }
    }
    close(code, out);
}

/// A code listed without a reason of its own still documents its status.
fn close(code: Option<(Code, bool)>, out: &mut Vec<ListedError>) {
    if let Some((code, false)) = code {
        out.push(ListedError { code, reason: None });
    }
}

/// A reason: upper snake case, not a code name, long enough not to be an acronym (`CNY`).
fn is_reason(word: &str) -> bool {
    word.len() >= 4
        && word.starts_with(|c: char| c.is_ascii_uppercase())
        && word
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

fn code_of(word: &str) -> Option<Code> {
    Some(match word {
        "INVALID_ARGUMENT" => Code::InvalidArgument,
        "OUT_OF_RANGE" => Code::OutOfRange,
        "UNAUTHENTICATED" => Code::Unauthenticated,
        "PERMISSION_DENIED" => Code::PermissionDenied,
        "NOT_FOUND" => Code::NotFound,
        "ALREADY_EXISTS" => Code::AlreadyExists,
        "ABORTED" => Code::Aborted,
        "FAILED_PRECONDITION" => Code::FailedPrecondition,
        "RESOURCE_EXHAUSTED" => Code::ResourceExhausted,
        "UNAVAILABLE" => Code::Unavailable,
        "DEADLINE_EXCEEDED" => Code::DeadlineExceeded,
        "UNIMPLEMENTED" => Code::Unimplemented,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reasons(comment: &str) -> Vec<(Code, Option<&'static str>)> {
        listed(comment)
            .into_iter()
            .map(|e| (e.code, e.reason.map(|r| &*Box::leak(r.into_boxed_str()))))
            .collect()
    }

    #[test]
    fn codes_take_the_reasons_that_follow() {
        let comment = "Creates a product in DRAFT with its SKUs. Errors: NOT_FOUND CATEGORY_NOT_FOUND; \
            ALREADY_EXISTS SKU_CODE_TAKEN, BARCODE_TAKEN (metadata sku index); INVALID_ARGUMENT \
            SPEC_MISMATCH (a SKU's specs do not match, CNY), PRICE_INVALID (sale_price > list_price). \
            Idempotent: x-idempotency-key metadata. NOT_FOUND LATER_TEXT";
        assert_eq!(
            reasons(comment),
            vec![
                (Code::NotFound, Some("CATEGORY_NOT_FOUND")),
                (Code::AlreadyExists, Some("SKU_CODE_TAKEN")),
                (Code::AlreadyExists, Some("BARCODE_TAKEN")),
                (Code::InvalidArgument, Some("SPEC_MISMATCH")),
                (Code::InvalidArgument, Some("PRICE_INVALID")),
            ]
        );
    }

    #[test]
    fn a_code_without_a_reason_still_counts() {
        assert_eq!(
            reasons("Lists. Errors: INVALID_ARGUMENT (start after end)."),
            vec![(Code::InvalidArgument, None)]
        );
        assert!(reasons("Gets a thing.").is_empty());
    }
}
