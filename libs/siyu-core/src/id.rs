//! Identifiers: UUIDv7 everywhere, so ids sort by creation time and index well.

use uuid::Uuid;

use crate::error::CoreError;

/// A new time-ordered id (UUIDv7).
pub fn new() -> Uuid {
    Uuid::now_v7()
}

/// A new id rendered as the lowercase hyphenated string used on the wire.
pub fn new_string() -> String {
    new().to_string()
}

/// Parses an id received on the wire; `field` names the field in the error.
pub fn parse(field: &str, value: &str) -> Result<Uuid, CoreError> {
    Uuid::parse_str(value).map_err(|_| CoreError::InvalidId {
        field: field.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_v7_and_increase() {
        let a = new();
        let b = new();
        assert_eq!(a.get_version_num(), 7);
        assert!(b > a);
    }

    #[test]
    fn parse_names_the_field() {
        let err = parse("order_id", "not-a-uuid").unwrap_err();
        assert_eq!(
            err,
            CoreError::InvalidId {
                field: "order_id".into()
            }
        );
        assert!(parse("order_id", &new_string()).is_ok());
    }
}
