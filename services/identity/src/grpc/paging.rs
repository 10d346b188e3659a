//! Offset paging over an in-memory result, for the lists that load everything they page over
//! (org subtrees, staff, partners, sessions, consents, merges, tenants).

use siyu_core::PageToken;
use siyu_proto::common::v1 as common;

use crate::error::AppError;

/// Offset paging over an in-memory result (the tree reads load one subtree).
pub(crate) fn page<T>(
    list: &str,
    rows: Vec<T>,
    page: Option<&common::PageRequest>,
    max: u32,
) -> Result<(Vec<T>, common::PageResponse), AppError> {
    let (size, token) = page.map_or((0, ""), |p| (p.page_size, p.page_token.as_str()));
    let size = match size {
        0 => 50.min(max),
        n if n > 0 && n.unsigned_abs() <= max => n.unsigned_abs(),
        _ => return Err(AppError::invalid("page.page_size", "is out of range")),
    };
    let offset: usize = if token.is_empty() {
        0
    } else {
        PageToken::decode(list, token)
            .map_err(|_| AppError::invalid("page.page_token", "is not a token of this list"))?
    };
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    let total = rows.len();
    let items: Vec<T> = rows.into_iter().skip(offset).take(size).collect();
    let next = if offset + items.len() < total {
        PageToken::encode(list, &(offset + items.len()))
    } else {
        String::new()
    };
    Ok((
        items,
        common::PageResponse {
            next_page_token: next,
        },
    ))
}
