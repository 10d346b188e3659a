//! Checks and parsing of OrgService input: names, codes, coordinates, update masks and store
//! profiles.

use prost::Message as _;
use siyu_proto::common::v1 as common;
use siyu_proto::identity::v1 as pb;

use crate::app::org::units::{NewUnit, StoreFields, UnitPatch};
use crate::error::AppError;
use crate::grpc::ids::id;
use crate::grpc::org::kind_name;
use crate::repo::org::OrgUnitType;

/// An UpdateOrgUnit request: the unit, its etag, the new values and the mask.
pub(super) struct Edit {
    /// The unit edited.
    pub id: String,
    /// The etag read.
    pub etag: String,
    /// The new values (only the masked ones count).
    pub unit: pb::OrgUnit,
    /// The update mask.
    pub paths: Vec<String>,
}

/// A CreateOrgUnit request.
pub(super) fn new_unit_in(req: &pb::CreateOrgUnitRequest) -> Result<NewUnit, AppError> {
    let kind = match kind_name(req.r#type) {
        Some(k @ (OrgUnitType::Region | OrgUnitType::Store | OrgUnitType::Department)) => k,
        _ => {
            return Err(AppError::invalid(
                "type",
                "must be REGION, STORE or DEPARTMENT",
            ));
        }
    };
    let parent_id = id("parent_id", &req.parent_id)?.to_string();
    check_name(&req.name, "name")?;
    check_code(&req.code, "code")?;
    let store = match (kind, &req.store) {
        (OrgUnitType::Store, Some(p)) => Some(store_fields(p, "store")?),
        (OrgUnitType::Store, None) => {
            return Err(AppError::invalid("store", "is required for stores"));
        }
        (_, Some(_)) => return Err(AppError::invalid("store", "only stores have one")),
        (_, None) => None,
    };
    Ok(NewUnit {
        parent_id,
        kind,
        name: req.name.trim().to_owned(),
        code: req.code.clone(),
        sort_order: req.sort_order,
        store,
    })
}

/// An UpdateOrgUnit request (the values are checked against the mask later, once the caller
/// is known to be allowed to edit the unit).
pub(super) fn edit_in(req: &pb::UpdateOrgUnitRequest) -> Result<Edit, AppError> {
    let unit = req
        .org_unit
        .clone()
        .ok_or_else(|| AppError::invalid("org_unit", "is required"))?;
    let id = id("org_unit.org_unit_id", &unit.org_unit_id)?.to_string();
    if unit.etag.is_empty() {
        return Err(AppError::invalid("org_unit.etag", "is required"));
    }
    let paths = req
        .update_mask
        .as_ref()
        .map(|m| m.paths.clone())
        .unwrap_or_default();
    if paths.is_empty() {
        return Err(AppError::invalid("update_mask", "is required"));
    }
    Ok(Edit {
        id,
        etag: unit.etag.clone(),
        unit,
        paths,
    })
}

pub(super) fn check_name(name: &str, field: &str) -> Result<(), AppError> {
    let n = name.trim().chars().count();
    if (1..=64).contains(&n) {
        Ok(())
    } else {
        Err(AppError::invalid(field, "must be 1..64 characters"))
    }
}

pub(super) fn check_code(code: &str, field: &str) -> Result<(), AppError> {
    let ok = (1..=32).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid(
            field,
            "must be 1..32 of A-Z, a-z, 0-9, '-', '_'",
        ))
    }
}

pub(super) fn check_geo(geo: &common::GeoPoint, field: &str) -> Result<(f64, f64), AppError> {
    if (-90.0..=90.0).contains(&geo.latitude) && (-180.0..=180.0).contains(&geo.longitude) {
        Ok((geo.latitude, geo.longitude))
    } else {
        Err(AppError::invalid(
            field,
            "latitude must be -90..90, longitude -180..180",
        ))
    }
}

/// The patch of an UpdateOrgUnit mask (every value validated).
pub(super) fn patch_of(unit: &pb::OrgUnit, paths: &[String]) -> Result<UnitPatch, AppError> {
    let mut patch = UnitPatch::default();
    for path in paths {
        match path.as_str() {
            "name" => {
                check_name(&unit.name, "org_unit.name")?;
                patch.name = Some(unit.name.trim().to_owned());
            }
            "code" => {
                check_code(&unit.code, "org_unit.code")?;
                patch.code = Some(unit.code.clone());
            }
            "sort_order" => patch.sort_order = Some(unit.sort_order),
            p if p == "store" || p.starts_with("store.") => {
                // Sub-paths replace the whole profile: the console sends the full store.
                let store = unit
                    .store
                    .as_ref()
                    .ok_or_else(|| AppError::invalid("org_unit.store", "is required"))?;
                patch.store = Some(store_fields(store, "org_unit.store")?);
            }
            _ => return Err(AppError::invalid("update_mask", "has an unknown path")),
        }
    }
    Ok(patch)
}

/// Parses a StoreProfile (an address is required).
pub(super) fn store_fields(p: &pb::StoreProfile, field: &str) -> Result<StoreFields, AppError> {
    let address = p
        .address
        .as_ref()
        .filter(|a| !a.detail.trim().is_empty())
        .ok_or_else(|| AppError::invalid(&format!("{field}.address"), "is required"))?;
    let geo = p
        .geo
        .as_ref()
        .map(|g| check_geo(g, &format!("{field}.geo")))
        .transpose()?;
    Ok(StoreFields {
        address: [
            &address.province,
            &address.city,
            &address.district,
            &address.detail,
        ]
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" "),
        city: address.city.clone(),
        latitude: geo.map(|g| g.0),
        longitude: geo.map(|g| g.1),
        pickup: p.pickup_enabled,
        profile: p.encode_to_vec(),
    })
}
