//! Paging on the wire: [`Paging`] reads a `siyu.common.v1.PageRequest` into a keyset
//! [`PageRequest`] (or an offset, for lists a service holds in memory) and builds the
//! `PageResponse`, so every list call pages the same way.

use serde::Serialize;
use serde::de::DeserializeOwned;
use siyu_core::{CoreError, PageRequest, PageToken};
use siyu_proto::common::v1 as common;

/// A bad page request: which part of `page` was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    /// `page.page_size` out of range.
    #[error("page_size must be between 0 and {max}")]
    Size {
        /// The largest page the list serves.
        max: u32,
    },
    /// `page.page_token` not issued for this list (or not readable).
    #[error("page_token is not a token of this list")]
    Token,
}

impl PageError {
    /// The proto field path of the wrong part.
    pub fn field(&self) -> &'static str {
        match self {
            Self::Size { .. } => "page.page_size",
            Self::Token => "page.page_token",
        }
    }
}

/// One list's paging rules: its name (tokens are bound to it), default and maximum size.
#[derive(Debug, Clone, Copy)]
pub struct Paging {
    list: &'static str,
    default: u32,
    max: u32,
}

impl Paging {
    /// Paging of the list named `list`, `default` items when the caller sends 0, at most `max`.
    pub const fn new(list: &'static str, default: u32, max: u32) -> Self {
        Self { list, default, max }
    }

    /// The validated request of a keyset page whose cursor is `C`.
    pub fn parse<C: DeserializeOwned>(
        &self,
        page: Option<&common::PageRequest>,
    ) -> Result<PageRequest<C>, PageError> {
        let (size, token) = page.map_or((0, ""), |p| (p.page_size, p.page_token.as_str()));
        PageRequest::parse_within(self.list, size, token, self.default, self.max).map_err(|e| {
            match e {
                CoreError::InvalidPageSize { max } => PageError::Size { max },
                _ => PageError::Token,
            }
        })
    }

    /// Trims `rows` (fetched with [`PageRequest::fetch_limit`]) to the page and answers the
    /// token of the next one, if a further row exists.
    pub fn finish<T, C: Serialize>(
        &self,
        rows: Vec<T>,
        request: &PageRequest<impl Sized>,
        cursor_of: impl Fn(&T) -> C,
    ) -> (Vec<T>, common::PageResponse) {
        let (rows, next) = PageToken::finish(self.list, rows, request.size, cursor_of);
        (rows, response(next))
    }

    /// One page of a list held in memory (a subtree read whole), paged by offset.
    pub fn slice<T>(
        &self,
        rows: Vec<T>,
        page: Option<&common::PageRequest>,
    ) -> Result<(Vec<T>, common::PageResponse), PageError> {
        let request: PageRequest<usize> = self.parse(page)?;
        let offset = request.after.unwrap_or(0);
        let size = usize::try_from(request.size).unwrap_or(usize::MAX);
        let total = rows.len();
        let items: Vec<T> = rows.into_iter().skip(offset).take(size).collect();
        let next = if offset + items.len() < total {
            PageToken::encode(self.list, &(offset + items.len()))
        } else {
            String::new()
        };
        Ok((items, response(next)))
    }
}

/// The `PageResponse` carrying `next_page_token` (empty on the last page).
pub fn response(next_page_token: String) -> common::PageResponse {
    common::PageResponse { next_page_token }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: Paging = Paging::new("things", 2, 3);

    fn page(size: i32, token: &str) -> Option<common::PageRequest> {
        Some(common::PageRequest {
            page_size: size,
            page_token: token.into(),
        })
    }

    #[test]
    fn offsets_walk_a_list_held_in_memory() {
        let (first, next) = LIST.slice(vec![1, 2, 3, 4, 5], None).unwrap();
        assert_eq!(first, vec![1, 2]);
        let (second, next) = LIST
            .slice(vec![1, 2, 3, 4, 5], page(3, &next.next_page_token).as_ref())
            .unwrap();
        assert_eq!(second, vec![3, 4, 5]);
        assert!(next.next_page_token.is_empty());
    }

    #[test]
    fn bad_sizes_and_foreign_tokens_name_their_part() {
        assert_eq!(
            LIST.slice(vec![1], page(4, "").as_ref()).unwrap_err(),
            PageError::Size { max: 3 }
        );
        let foreign = PageToken::encode("others", &1usize);
        let err = LIST.slice(vec![1], page(1, &foreign).as_ref()).unwrap_err();
        assert_eq!(err.field(), "page.page_token");
    }
}
