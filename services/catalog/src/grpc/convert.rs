//! Parsing the wire's shared shapes at the edge (ids, quantities, money, text, coordinates,
//! update masks): each failure is an [`AppError`] naming the proto field.

use siyu_proto::common::v1 as common;
use uuid::Uuid;

use crate::AppError;
use crate::app::MAX_QUANTITY;
use crate::app::domain::Geo;

/// A required UUID field.
pub fn id(field: &str, value: &str) -> Result<Uuid, AppError> {
    if value.is_empty() {
        return Err(AppError::invalid(field, "required"));
    }
    Uuid::parse_str(value).map_err(|_| AppError::invalid(field, "must be a UUID"))
}

/// An optional UUID field (empty = none).
pub fn opt_id(field: &str, value: &str) -> Result<Option<Uuid>, AppError> {
    if value.is_empty() {
        Ok(None)
    } else {
        id(field, value).map(Some)
    }
}

/// A list of 1..=`max` ids, each named `field[i]` when malformed.
pub fn ids(field: &str, v: &[String], max: usize) -> Result<Vec<Uuid>, AppError> {
    if v.is_empty() || v.len() > max {
        return Err(AppError::invalid(field, format!("must hold 1..{max} ids")));
    }
    each(field, v, |f, s| id(f, s))
}

/// Every item of a repeated field parsed by `parse`, which gets the item's path `field[i]`.
pub fn each<T, U>(
    field: &str,
    items: &[T],
    parse: impl Fn(&str, &T) -> Result<U, AppError>,
) -> Result<Vec<U>, AppError> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| parse(&format!("{field}[{i}]"), item))
        .collect()
}

/// A quantity in 1..=MAX_QUANTITY.
pub fn quantity(field: &str, q: i32) -> Result<i32, AppError> {
    if q < 1 {
        Err(AppError::invalid(field, "must be at least 1"))
    } else if q > MAX_QUANTITY {
        Err(AppError::invalid(
            field,
            format!("must be at most {MAX_QUANTITY}"),
        ))
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
        return Err(AppError::invalid(
            field,
            format!("must hold 1..{max} lines"),
        ));
    }
    let mut out: Vec<(Uuid, i32)> = Vec::with_capacity(items.len());
    for (i, (sku, q)) in items.enumerate() {
        let sku = id(&format!("{field}[{i}].sku_id"), sku)?;
        let q = quantity(&format!("{field}[{i}].quantity"), q)?;
        if out.iter().any(|(s, _)| *s == sku) {
            return Err(AppError::invalid(
                format!("{field}[{i}].sku_id"),
                "duplicate SKU",
            ));
        }
        out.push((sku, q));
    }
    Ok(out)
}

/// Coordinates within ±90 / ±180.
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
        Err(AppError::invalid(
            field,
            "latitude must be within ±90 and longitude within ±180",
        ))
    }
}

/// Optional coordinates.
pub fn opt_geo(field: &str, g: Option<&common::GeoPoint>) -> Result<Option<Geo>, AppError> {
    g.map(|g| geo(field, g)).transpose()
}

/// A goods price: CNY fen in 1..=100 M yuan, else PRICE_INVALID.
pub fn money(field: &str, m: &common::Money) -> Result<i64, AppError> {
    let invalid = |description: &str| AppError::PriceInvalid {
        field: field.to_owned(),
        description: description.to_owned(),
    };
    if m.currency_code != "CNY" {
        return Err(invalid("currency must be CNY"));
    }
    if m.minor_units <= 0 {
        return Err(invalid("must be greater than 0"));
    }
    // No single goods price reaches 100 million yuan; larger values are typos.
    if m.minor_units > 10_000_000_000 {
        return Err(invalid("absurdly large"));
    }
    Ok(m.minor_units)
}

/// A required goods price (PRICE_INVALID when absent).
pub fn required_money(field: &str, m: Option<&common::Money>) -> Result<i64, AppError> {
    let m = m.ok_or_else(|| AppError::PriceInvalid {
        field: field.to_owned(),
        description: "required".to_owned(),
    })?;
    money(field, m)
}

/// Fen as CNY.
pub fn cny(minor: i64) -> common::Money {
    common::Money {
        minor_units: minor,
        currency_code: "CNY".into(),
    }
}

/// Trimmed text of `min..=max` characters.
pub fn text(field: &str, v: &str, min: usize, max: usize) -> Result<String, AppError> {
    let t = v.trim();
    let n = t.chars().count();
    if n < min || n > max {
        return Err(AppError::invalid(
            field,
            format!("must be {min}..{max} characters"),
        ));
    }
    Ok(t.to_owned())
}

/// Trimmed text of at most `max` characters (counted before trimming).
pub fn at_most(field: &str, v: &str, max: usize) -> Result<String, AppError> {
    if v.chars().count() > max {
        return Err(AppError::invalid(
            field,
            format!("at most {max} characters"),
        ));
    }
    Ok(v.trim().to_owned())
}

/// An https URL of at most 1024 characters, or empty.
pub fn url(field: &str, v: &str) -> Result<String, AppError> {
    if v.is_empty() || (v.starts_with("https://") && v.len() <= 1024) {
        Ok(v.to_owned())
    } else {
        Err(AppError::invalid(
            field,
            "must be an https URL of at most 1024 characters",
        ))
    }
}

/// Update-mask paths, at least one, each among `allowed`.
pub fn mask(m: Option<&prost_types::FieldMask>, allowed: &[&str]) -> Result<Vec<String>, AppError> {
    let paths = m.map(|m| m.paths.clone()).unwrap_or_default();
    if paths.is_empty() {
        return Err(AppError::invalid("update_mask", "at least one path"));
    }
    for p in &paths {
        if !allowed.contains(&p.as_str()) {
            return Err(AppError::invalid(
                "update_mask",
                format!("unknown or immutable path {p}"),
            ));
        }
    }
    Ok(paths)
}

/// A proto enum number as a stored domain enum (`TryFrom<i16>`), else INVALID_ARGUMENT.
pub fn wire_enum<T: TryFrom<i16>>(field: &str, v: i32, what: &str) -> Result<T, AppError> {
    i16::try_from(v)
        .ok()
        .and_then(|v| T::try_from(v).ok())
        .ok_or_else(|| AppError::invalid(field, format!("unknown {what}")))
}

/// A required sub-message.
pub fn required<'a, T>(field: &str, v: Option<&'a T>) -> Result<&'a T, AppError> {
    v.ok_or_else(|| AppError::invalid(field, "required"))
}
