//! Paging: `page_size` plus an opaque `page_token` that encodes a keyset cursor.
//!
//! Tokens are base64url JSON so a service can change what a cursor holds without changing the
//! wire; a token from one list cannot be replayed against another because it carries the name
//! of the list it was issued for.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::CoreError;

/// The page size used when a caller sends 0.
pub const DEFAULT_PAGE_SIZE: u32 = 20;
/// The largest page a caller may ask for.
pub const MAX_PAGE_SIZE: u32 = 200;

/// A validated page request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest<C> {
    /// How many items to return (1..=MAX_PAGE_SIZE).
    pub size: u32,
    /// Where to continue from; `None` for the first page.
    pub after: Option<C>,
}

impl<C: DeserializeOwned> PageRequest<C> {
    /// Validates a wire `page_size` (0 means the default) and decodes a wire `page_token`
    /// (empty means the first page) issued for the list named `list`.
    pub fn parse(list: &str, page_size: i32, page_token: &str) -> Result<Self, CoreError> {
        Self::parse_within(
            list,
            page_size,
            page_token,
            DEFAULT_PAGE_SIZE,
            MAX_PAGE_SIZE,
        )
    }

    /// Like [`PageRequest::parse`] for a list with its own default (when 0 is sent) and
    /// maximum page size.
    pub fn parse_within(
        list: &str,
        page_size: i32,
        page_token: &str,
        default: u32,
        max: u32,
    ) -> Result<Self, CoreError> {
        let size = match page_size {
            0 => default.min(max),
            n if n > 0 && n.unsigned_abs() <= max => n.unsigned_abs(),
            _ => return Err(CoreError::InvalidPageSize { max }),
        };
        let after = if page_token.is_empty() {
            None
        } else {
            Some(PageToken::decode(list, page_token)?)
        };
        Ok(Self { size, after })
    }

    /// How many rows to fetch: one more than the page, to know whether another page follows.
    pub fn fetch_limit(&self) -> u64 {
        u64::from(self.size) + 1
    }
}

/// Encoding and decoding of opaque page tokens.
#[derive(Debug, Clone, Copy)]
pub struct PageToken;

#[derive(Serialize, Deserialize)]
struct Envelope<C> {
    l: String,
    c: C,
}

impl PageToken {
    /// Encodes `cursor` for the list named `list`.
    pub fn encode<C: Serialize>(list: &str, cursor: &C) -> String {
        let envelope = Envelope {
            l: list.to_owned(),
            c: cursor,
        };
        // Serializing plain data structs to JSON cannot fail; fall back to "no next page".
        serde_json::to_vec(&envelope)
            .map(|bytes| URL_SAFE_NO_PAD.encode(bytes))
            .unwrap_or_default()
    }

    /// Decodes a token issued for `list`.
    pub fn decode<C: DeserializeOwned>(list: &str, token: &str) -> Result<C, CoreError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| CoreError::InvalidPageToken)?;
        let envelope: Envelope<C> =
            serde_json::from_slice(&bytes).map_err(|_| CoreError::InvalidPageToken)?;
        if envelope.l == list {
            Ok(envelope.c)
        } else {
            Err(CoreError::InvalidPageToken)
        }
    }

    /// Trims a fetched batch to the page and returns the next token, if a further row exists.
    pub fn finish<T, C: Serialize>(
        list: &str,
        mut rows: Vec<T>,
        size: u32,
        cursor_of: impl Fn(&T) -> C,
    ) -> (Vec<T>, String) {
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        if rows.len() > size {
            rows.truncate(size);
            let next = rows
                .last()
                .map(|row| Self::encode(list, &cursor_of(row)))
                .unwrap_or_default();
            (rows, next)
        } else {
            (rows, String::new())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Cursor {
        created_at: i64,
        id: String,
    }

    #[test]
    fn tokens_round_trip_for_their_own_list_only() {
        let cursor = Cursor {
            created_at: 42,
            id: "a".into(),
        };
        let token = PageToken::encode("orders", &cursor);
        assert_eq!(
            PageToken::decode::<Cursor>("orders", &token).unwrap(),
            cursor
        );
        assert_eq!(
            PageToken::decode::<Cursor>("members", &token),
            Err(CoreError::InvalidPageToken)
        );
        assert_eq!(
            PageToken::decode::<Cursor>("orders", "%%%"),
            Err(CoreError::InvalidPageToken)
        );
        assert_eq!(
            PageToken::decode::<Cursor>("orders", "e30"),
            Err(CoreError::InvalidPageToken)
        );
    }

    #[test]
    fn page_size_is_bounded() {
        assert_eq!(
            PageRequest::<Cursor>::parse("x", 0, "").unwrap().size,
            DEFAULT_PAGE_SIZE
        );
        assert_eq!(
            PageRequest::<Cursor>::parse("x", 5, "")
                .unwrap()
                .fetch_limit(),
            6
        );
        assert!(PageRequest::<Cursor>::parse("x", -1, "").is_err());
        assert!(PageRequest::<Cursor>::parse("x", 201, "").is_err());
    }

    #[test]
    fn finish_emits_a_token_only_when_more_rows_exist() {
        let (rows, next) = PageToken::finish("x", vec![1, 2, 3], 2, |n| *n);
        assert_eq!(rows, vec![1, 2]);
        assert_eq!(PageToken::decode::<i32>("x", &next).unwrap(), 2);
        let (rows, next) = PageToken::finish("x", vec![1, 2], 2, |n| *n);
        assert_eq!(rows.len(), 2);
        assert!(next.is_empty());
    }
}
