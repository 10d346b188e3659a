//! Ids on the wire: every id a request names is parsed into its type here, at the boundary.
//! A malformed id is INVALID_ARGUMENT naming the field (reason INVALID_ARGUMENT), never the
//! NOT_FOUND of an id that cannot exist; a well-formed id of nothing (or of another tenant)
//! stays NOT_FOUND, decided by the app.

use siyu_core::TenantId;
use uuid::Uuid;

use crate::error::AppError;

/// A required id.
pub fn id(field: &str, value: &str) -> Result<Uuid, AppError> {
    if value.is_empty() {
        return Err(AppError::invalid(field, "is required"));
    }
    Uuid::parse_str(value).map_err(|_| AppError::invalid(field, "must be a UUID"))
}

/// An optional id (empty = none).
pub fn opt_id(field: &str, value: &str) -> Result<Option<Uuid>, AppError> {
    if value.is_empty() {
        Ok(None)
    } else {
        id(field, value).map(Some)
    }
}

/// A list of ids, each named `field[i]`.
pub fn ids(field: &str, values: &[String]) -> Result<Vec<Uuid>, AppError> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| id(&format!("{field}[{i}]"), v))
        .collect()
}

/// A required tenant id.
pub fn tenant_id(field: &str, value: &str) -> Result<TenantId, AppError> {
    id(field, value).map(TenantId)
}

/// An optional tenant id (empty = none).
pub fn opt_tenant_id(field: &str, value: &str) -> Result<Option<TenantId>, AppError> {
    opt_id(field, value).map(|id| id.map(TenantId))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_ids_name_their_field() {
        let err = id("staff_id", "no-such-staff").unwrap_err();
        assert!(matches!(
            err,
            AppError::InvalidArgument { reason: "INVALID_ARGUMENT", ref fields }
                if fields[0].0 == "staff_id"
        ));
        let err = ids("org_unit_ids", &[Uuid::nil().to_string(), "x".into()]).unwrap_err();
        assert!(matches!(
            err,
            AppError::InvalidArgument { ref fields, .. } if fields[0].0 == "org_unit_ids[1]"
        ));
        assert_eq!(opt_id("store_id", "").unwrap(), None);
        let upper = "0190B1C2-0000-7000-8000-00000000000A";
        assert_eq!(
            id("x", upper).unwrap().to_string(),
            upper.to_ascii_lowercase()
        );
    }
}
