//! Proto ⇄ domain: parsing at the edge (ids, enums, ranges) and rendering responses.

use siyu_core::OrgPath;
use siyu_proto::catalog::v1 as pb;
use siyu_proto::common::v1 as common;
use uuid::Uuid;

use crate::app::domain::{
    Address, Geo, Location, LocationKind, LocationStatus, Movement, Reservation, StockLevel,
};
use crate::app::{AppError, MAX_QUANTITY, invalid};

/// Parses a required UUID field.
pub fn id(field: &str, value: &str) -> Result<Uuid, AppError> {
    if value.is_empty() {
        return Err(invalid(field, "required"));
    }
    Uuid::parse_str(value).map_err(|_| invalid(field, "must be a UUID"))
}

/// A list of 1..=`max` ids, each named `field[i]` when malformed.
pub fn ids(field: &str, v: &[String], max: usize) -> Result<Vec<Uuid>, AppError> {
    if v.is_empty() || v.len() > max {
        return Err(invalid(field, format!("must hold 1..{max} ids")));
    }
    v.iter()
        .enumerate()
        .map(|(i, s)| id(&format!("{field}[{i}]"), s))
        .collect()
}

/// Parses an optional UUID field (empty = none).
pub fn opt_id(field: &str, value: &str) -> Result<Option<Uuid>, AppError> {
    if value.is_empty() {
        Ok(None)
    } else {
        id(field, value).map(Some)
    }
}

/// A quantity in 1..=MAX_QUANTITY.
pub fn quantity(field: &str, q: i32) -> Result<i32, AppError> {
    if q < 1 {
        Err(invalid(field, "must be at least 1"))
    } else if q > MAX_QUANTITY {
        Err(invalid(field, format!("must be at most {MAX_QUANTITY}")))
    } else {
        Ok(q)
    }
}

/// Distinct (sku, quantity) lines, 1..=max.
pub fn lines<'a>(
    field: &str,
    items: impl ExactSizeIterator<Item = (&'a str, i32)>,
    max: usize,
) -> Result<Vec<(Uuid, i32)>, AppError> {
    if items.len() == 0 || items.len() > max {
        return Err(invalid(field, format!("must hold 1..{max} lines")));
    }
    let mut out: Vec<(Uuid, i32)> = Vec::with_capacity(items.len());
    for (i, (sku, q)) in items.enumerate() {
        let sku = id(&format!("{field}[{i}].sku_id"), sku)?;
        let q = quantity(&format!("{field}[{i}].quantity"), q)?;
        if out.iter().any(|(s, _)| *s == sku) {
            return Err(invalid(format!("{field}[{i}].sku_id"), "duplicate SKU"));
        }
        out.push((sku, q));
    }
    Ok(out)
}

/// Validated coordinates.
pub fn geo(field: &str, g: &common::GeoPoint) -> Result<Geo, AppError> {
    let ok = g.latitude.is_finite()
        && g.longitude.is_finite()
        && (-90.0..=90.0).contains(&g.latitude)
        && (-180.0..=180.0).contains(&g.longitude);
    if ok {
        Ok(Geo {
            lat: g.latitude,
            lng: g.longitude,
        })
    } else {
        Err(invalid(
            field,
            "latitude must be within ±90 and longitude within ±180",
        ))
    }
}

/// Page token / size, mapped to InvalidArgument on the `page` field.
pub fn page<C: serde::de::DeserializeOwned>(
    list: &str,
    p: Option<&common::PageRequest>,
) -> Result<siyu_core::PageRequest<C>, AppError> {
    let (size, token) = p
        .map(|p| (p.page_size, p.page_token.as_str()))
        .unwrap_or((0, ""));
    siyu_core::PageRequest::parse(list, size, token).map_err(|e| invalid("page", e.to_string()))
}

/// A location name: 1..100 characters after trimming.
pub fn location_name(v: &str) -> Result<String, AppError> {
    let name = v.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(invalid("location.name", "must be 1..100 characters"));
    }
    Ok(name.to_owned())
}

/// A delivery radius: 0..100,000 m.
pub fn radius(r: i32) -> Result<i32, AppError> {
    if (0..=100_000).contains(&r) {
        Ok(r)
    } else {
        Err(invalid(
            "location.delivery_radius_meters",
            "must be 0..100000",
        ))
    }
}

/// A default low-stock threshold: 0..MAX_QUANTITY.
pub fn threshold(t: i32) -> Result<i32, AppError> {
    if (0..=MAX_QUANTITY).contains(&t) {
        Ok(t)
    } else {
        Err(invalid(
            "location.default_low_stock_threshold",
            "must be 0..1000000",
        ))
    }
}

/// A location's address (coordinates validated when present).
pub fn address_in(a: Option<&common::Address>) -> Result<Address, AppError> {
    let a = a.cloned().unwrap_or_default();
    let g = match &a.location {
        Some(p) => Some(geo("location.address.location", p)?),
        None => None,
    };
    Ok(Address {
        province: a.province,
        city: a.city,
        district: a.district,
        detail: a.detail,
        postal_code: a.postal_code,
        contact_name: a.contact_name,
        contact_phone: a.contact_phone,
        geo: g,
    })
}

/// The location of a CreateLocation request.
pub fn location_in(l: &pb::Location) -> Result<Location, AppError> {
    let kind = match pb::LocationKind::try_from(l.kind) {
        Ok(pb::LocationKind::Store) => LocationKind::Store,
        Ok(pb::LocationKind::Warehouse) => LocationKind::Warehouse,
        _ => return Err(invalid("location.kind", "must be STORE or WAREHOUSE")),
    };
    let name = location_name(&l.name)?;
    let org_path = OrgPath::parse(&l.org_path)
        .map_err(|_| invalid("location.org_path", "must be id/id/id"))?;
    let id = match kind {
        LocationKind::Store => id("location.location_id", &l.location_id)?,
        LocationKind::Warehouse => Uuid::nil(),
    };
    let status = match pb::LocationStatus::try_from(l.status) {
        Ok(pb::LocationStatus::Unspecified | pb::LocationStatus::Active) => LocationStatus::Active,
        Ok(pb::LocationStatus::Suspended) => LocationStatus::Suspended,
        _ => {
            return Err(invalid(
                "location.status",
                "must be ACTIVE or SUSPENDED on create",
            ));
        }
    };
    radius(l.delivery_radius_meters)?;
    threshold(l.default_low_stock_threshold)?;
    let address = address_in(l.address.as_ref())?;
    Ok(Location {
        id,
        kind,
        name,
        org_path,
        address,
        status,
        pickup_enabled: l.pickup_enabled,
        delivery_enabled: l.delivery_enabled,
        delivery_radius_m: l.delivery_radius_meters,
        priority: l.priority,
        opening_hours: l.opening_hours.clone(),
        default_low_threshold: l.default_low_stock_threshold,
        updated_at_ms: 0,
    })
}

/// A timestamp from milliseconds.
pub fn ts(ms: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: ms.div_euclid(1000),
        nanos: i32::try_from(ms.rem_euclid(1000) * 1_000_000).unwrap_or(0),
    }
}

/// Milliseconds from a timestamp.
pub fn ms(t: &prost_types::Timestamp) -> i64 {
    t.seconds
        .saturating_mul(1000)
        .saturating_add(i64::from(t.nanos / 1_000_000))
}

/// Location → proto.
pub fn location_out(l: &Location) -> pb::Location {
    let a = &l.address;
    pb::Location {
        location_id: l.id.to_string(),
        kind: l.kind as i32,
        name: l.name.clone(),
        address: Some(common::Address {
            province: a.province.clone(),
            city: a.city.clone(),
            district: a.district.clone(),
            detail: a.detail.clone(),
            postal_code: a.postal_code.clone(),
            contact_name: a.contact_name.clone(),
            contact_phone: a.contact_phone.clone(),
            location: a.geo.map(|g| common::GeoPoint {
                latitude: g.lat,
                longitude: g.lng,
            }),
        }),
        status: l.status as i32,
        pickup_enabled: l.pickup_enabled,
        delivery_enabled: l.delivery_enabled,
        delivery_radius_meters: l.delivery_radius_m,
        priority: l.priority,
        opening_hours: l.opening_hours.clone(),
        default_low_stock_threshold: l.default_low_threshold,
        updated_at: Some(ts(l.updated_at_ms)),
        org_path: l.org_path.to_path_string(),
    }
}

/// Stock level → proto; `default_threshold` is the location's.
pub fn level_out(l: &StockLevel, default_threshold: i32) -> pb::StockLevel {
    let thr = l.effective_threshold(default_threshold);
    pb::StockLevel {
        sku_id: l.sku_id.to_string(),
        location_id: l.location_id.to_string(),
        on_hand: l.on_hand,
        reserved: l.reserved,
        available: l.available(),
        in_transit: l.in_transit,
        low_stock_threshold: l.low_threshold,
        low: thr > 0 && l.available() <= thr,
        version: l.version,
        updated_at: (l.updated_at_ms > 0).then(|| ts(l.updated_at_ms)),
    }
}

/// Movement → proto.
pub fn movement_out(m: &Movement) -> pb::StockMovement {
    pb::StockMovement {
        movement_id: m.id.to_string(),
        sku_id: m.sku_id.to_string(),
        location_id: m.location_id.to_string(),
        r#type: m.kind as i32,
        quantity: m.quantity,
        on_hand_after: m.on_hand_after,
        reason: i32::from(m.reason),
        note: m.note.clone(),
        order_id: m.order_id.clone(),
        refund_id: m.refund_id.clone(),
        transfer_id: m.transfer_id.clone(),
        sync_id: m.sync_id.clone(),
        reference: m.reference.clone(),
        operator_id: m.operator_id.clone(),
        created_at: Some(ts(m.created_at_ms)),
    }
}

/// Reservation → proto.
pub fn reservation_out(r: &Reservation) -> pb::Reservation {
    pb::Reservation {
        reservation_id: r.id.to_string(),
        order_id: r.order_id.to_string(),
        status: r.status as i32,
        lines: r
            .lines
            .iter()
            .map(|l| pb::ReservationLine {
                sku_id: l.sku_id.to_string(),
                quantity: l.quantity,
                location_id: l.location_id.to_string(),
            })
            .collect(),
        expires_at: Some(ts(r.expires_at_ms)),
        created_at: Some(ts(r.created_at_ms)),
        closed_at: r.closed_at_ms.map(ts),
        release_reason: r.release_reason.clone(),
    }
}
