//! Persistence of content: SQL through sea-orm's connection API with the shared helpers of
//! [`siyu_store::sql`], one module per concept (named as in `app/` and `grpc/`), every query
//! filtered by tenant (the scheduler's scans excepted: they name the tenant of each row).
//! Rows are decoded by `#[derive(FromQueryResult)]` structs named `*Row` and turned into domain
//! types right here, so nothing above sees a column.

pub(crate) use siyu_store::sql::{
    execute, fetch_all, fetch_one, for_update, is_unique_violation, opt_i64, opt_uuid,
    placeholders, uuid,
};
use uuid::Uuid;

use crate::AppError;

pub mod contents;
pub mod shares;
pub mod slots;

/// A stored enum number as its domain type; an unknown number is corrupt data.
pub(crate) fn stored<T: TryFrom<i16, Error = String>>(value: i16) -> Result<T, AppError> {
    T::try_from(value).map_err(AppError::Internal)
}

/// A list flattened as `|a|b|` (empty for none), so `LIKE '%|a|%'` finds a member on both
/// backends.
pub(crate) fn piped<T: ToString>(items: &[T]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let joined: Vec<String> = items.iter().map(ToString::to_string).collect();
    format!("|{}|", joined.join("|"))
}

/// The ids of a [`piped`] list.
pub(crate) fn unpiped(s: &str) -> Result<Vec<Uuid>, AppError> {
    s.split('|')
        .filter(|p| !p.is_empty())
        .map(|p| Uuid::parse_str(p).map_err(|e| AppError::Internal(format!("stored id: {e}"))))
        .collect()
}

/// The `LIKE` pattern finding `item` in a [`piped`] list (wildcards in it escaped; the
/// statement says `ESCAPE '\'`).
pub(crate) fn member_pattern(item: &str) -> String {
    format!("%|{}|%", escape_like(item))
}

/// `text` with `LIKE` wildcards escaped by `\`.
pub(crate) fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A `LIMIT` value.
pub(crate) fn limit(n: u64) -> sea_orm::Value {
    i64::try_from(n).unwrap_or(i64::MAX).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_round_trip_through_pipes() {
        let ids = vec![Uuid::nil(), Uuid::max()];
        assert_eq!(unpiped(&piped(&ids)).unwrap(), ids);
        assert_eq!(piped::<Uuid>(&[]), "");
        assert_eq!(member_pattern("a_b%"), "%|a\\_b\\%|%");
    }
}
