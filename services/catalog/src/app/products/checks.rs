//! Validation of products and SKUs that needs no database: prices and spec combinations.

use std::collections::HashSet;

use crate::AppError;
use crate::app::domain::{Sku, SpecDimension};

/// `prefix.name`, or `name` alone for a field at the top of the request.
fn at(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

fn price_invalid(field: impl Into<String>, description: &str) -> AppError {
    AppError::PriceInvalid {
        field: field.into(),
        description: description.to_owned(),
    }
}

fn spec_mismatch(field: impl Into<String>, description: &str) -> AppError {
    AppError::SpecMismatch {
        field: field.into(),
        description: description.to_owned(),
    }
}

/// Checks one SKU's prices: sale > 0, list ≥ sale when set, member prices in 1..=sale. Fields
/// are named under `field` (empty: the SKU's fields are the request's own).
pub fn check_prices(field: &str, s: &Sku) -> Result<(), AppError> {
    if s.sale_price <= 0 {
        return Err(price_invalid(
            at(field, "sale_price"),
            "must be greater than 0",
        ));
    }
    if let Some(l) = s.list_price {
        if l <= 0 {
            return Err(price_invalid(
                at(field, "list_price"),
                "must be greater than 0",
            ));
        }
        if s.sale_price > l {
            return Err(price_invalid(
                at(field, "sale_price"),
                "must not exceed list_price",
            ));
        }
    }
    let mut tiers = HashSet::new();
    for (i, m) in s.member_prices.iter().enumerate() {
        let f = at(field, &format!("member_prices[{i}]"));
        if m.tier_code.is_empty() || !tiers.insert(m.tier_code.as_str()) {
            return Err(price_invalid(
                format!("{f}.tier_code"),
                "required and unique",
            ));
        }
        if m.price <= 0 || m.price > s.sale_price {
            return Err(price_invalid(
                format!("{f}.price"),
                "must be in 0 < price <= sale_price",
            ));
        }
    }
    Ok(())
}

/// Checks the spec dimensions themselves: at most 3, named, 1..=50 distinct values.
pub fn check_dimensions(field: &str, dims: &[SpecDimension]) -> Result<(), AppError> {
    if dims.len() > 3 {
        return Err(spec_mismatch(field, "at most 3 dimensions"));
    }
    let mut names = HashSet::new();
    for (i, d) in dims.iter().enumerate() {
        let values: HashSet<&str> = d.values.iter().map(String::as_str).collect();
        if d.name.trim().is_empty()
            || !names.insert(d.name.as_str())
            || d.values.is_empty()
            || d.values.len() > 50
            || values.len() != d.values.len()
            || values.iter().any(|v| v.trim().is_empty())
        {
            return Err(spec_mismatch(
                format!("{field}[{i}]"),
                "a unique name and 1..50 distinct values",
            ));
        }
    }
    Ok(())
}

/// The combination key of a SKU's specs against `dims` (values in dimension order), or
/// SPEC_MISMATCH when the specs are not exactly one known value per dimension.
fn combination(field: &str, dims: &[SpecDimension], s: &Sku) -> Result<String, AppError> {
    let bad = || spec_mismatch(format!("{field}.specs"), "one value of each spec dimension");
    if s.specs.len() != dims.len() {
        return Err(bad());
    }
    let mut key = Vec::new();
    for d in dims {
        let v = s
            .specs
            .iter()
            .find(|v| v.dimension == d.name)
            .ok_or_else(bad)?;
        if !d.values.contains(&v.value) {
            return Err(bad());
        }
        key.push(v.value.as_str());
    }
    Ok(key.join("\u{1f}"))
}

/// Checks every SKU against the dimensions and that no two share a combination.
pub fn check_skus(field: &str, dims: &[SpecDimension], skus: &[Sku]) -> Result<(), AppError> {
    let mut seen = HashSet::new();
    for (i, s) in skus.iter().enumerate() {
        let f = format!("{field}[{i}]");
        if !seen.insert(combination(&f, dims, s)?) {
            return Err(spec_mismatch(
                format!("{f}.specs"),
                "two SKUs share a combination",
            ));
        }
    }
    Ok(())
}
