//! Proto ⇄ domain for categories, products and SKUs.

use prost_types::Timestamp;
use siyu_proto::catalog::v1 as pb;
use siyu_proto::common::v1 as common;
use uuid::Uuid;

use crate::app::product::{
    Attribute, Category, Media, Product, ProductStatus, Sku, SpecDimension, SpecValue, StoreMode,
    TierPrice,
};
use crate::app::{AppError, invalid, rejected};

/// A CNY amount in fen, or PRICE_INVALID.
pub fn money_in(field: &str, m: &common::Money) -> Result<i64, AppError> {
    if m.currency_code != "CNY" {
        return Err(rejected("PRICE_INVALID", field, "currency must be CNY"));
    }
    if m.minor_units <= 0 {
        return Err(rejected("PRICE_INVALID", field, "must be greater than 0"));
    }
    // No single goods price reaches 100 million yuan; larger values are typos.
    if m.minor_units > 10_000_000_000 {
        return Err(rejected("PRICE_INVALID", field, "absurdly large"));
    }
    Ok(m.minor_units)
}

/// Fen as CNY.
pub fn money_out(minor: i64) -> common::Money {
    common::Money {
        minor_units: minor,
        currency_code: "CNY".into(),
    }
}

/// Milliseconds as a timestamp.
pub fn ts(ms: i64) -> Timestamp {
    Timestamp {
        seconds: ms.div_euclid(1000),
        nanos: i32::try_from(ms.rem_euclid(1000) * 1_000_000).unwrap_or(0),
    }
}

fn text(field: &str, v: &str, min: usize, max: usize) -> Result<String, AppError> {
    let t = v.trim();
    let n = t.chars().count();
    if n < min || n > max {
        return Err(invalid(field, format!("must be {min}..{max} characters")));
    }
    Ok(t.to_owned())
}

fn url(field: &str, v: &str) -> Result<String, AppError> {
    if v.is_empty() || (v.starts_with("https://") && v.len() <= 1024) {
        Ok(v.to_owned())
    } else {
        Err(invalid(
            field,
            "must be an https URL of at most 1024 characters",
        ))
    }
}

/// The category name rule (1..30).
pub fn category_name(field: &str, v: &str) -> Result<String, AppError> {
    text(field, v, 1, 30)
}

/// The category image rule.
pub fn category_image(field: &str, v: &str) -> Result<String, AppError> {
    url(field, v)
}

/// The category of a CreateCategory request.
pub fn category_in(c: &pb::Category) -> Result<Category, AppError> {
    Ok(Category {
        id: Uuid::nil(),
        parent: super::convert::opt_id("category.parent_id", &c.parent_id)?,
        name: category_name("category.name", &c.name)?,
        image_url: url("category.image_url", &c.image_url)?,
        sort_order: c.sort_order,
        hidden: c.hidden,
        path: Vec::new(),
        product_count: 0,
    })
}

/// A category on the wire.
pub fn category_out(c: &Category) -> pb::Category {
    let ancestors = &c.path[..c.path.len().saturating_sub(1)];
    pb::Category {
        category_id: c.id.to_string(),
        parent_id: c.parent.map(|p| p.to_string()).unwrap_or_default(),
        name: c.name.clone(),
        image_url: c.image_url.clone(),
        sort_order: c.sort_order,
        ancestor_ids: ancestors.iter().map(ToString::to_string).collect(),
        depth: i32::try_from(c.path.len()).unwrap_or(0),
        hidden: c.hidden,
        product_count: c.product_count,
    }
}

/// Spec dimensions from the wire.
pub fn dims_in(field: &str, d: &[pb::SpecDimension]) -> Result<Vec<SpecDimension>, AppError> {
    d.iter()
        .enumerate()
        .map(|(i, d)| {
            Ok(SpecDimension {
                name: text(&format!("{field}[{i}].name"), &d.name, 1, 20)?,
                values: d
                    .values
                    .iter()
                    .enumerate()
                    .map(|(j, v)| text(&format!("{field}[{i}].values[{j}]"), v, 1, 40))
                    .collect::<Result<_, _>>()?,
            })
        })
        .collect()
}

/// Member prices from the wire.
pub fn tier_prices_in(field: &str, m: &[pb::TierPrice]) -> Result<Vec<TierPrice>, AppError> {
    m.iter()
        .enumerate()
        .map(|(i, t)| {
            let f = format!("{field}[{i}]");
            Ok(TierPrice {
                tier_code: text(&format!("{f}.tier_code"), &t.tier_code, 1, 32)?,
                price: money_in(
                    &format!("{f}.price"),
                    t.price.as_ref().ok_or_else(|| {
                        rejected("PRICE_INVALID", format!("{f}.price"), "required")
                    })?,
                )?,
            })
        })
        .collect()
}

/// Code/barcode rule: 0..64 printable characters.
pub fn code(field: &str, v: &str) -> Result<String, AppError> {
    if v.chars().count() > 64 || v.chars().any(char::is_control) {
        Err(invalid(field, "must be at most 64 printable characters"))
    } else {
        Ok(v.trim().to_owned())
    }
}

/// Weight rule: 0..1,000,000 g.
pub fn weight(field: &str, w: i32) -> Result<i32, AppError> {
    if (0..=1_000_000).contains(&w) {
        Ok(w)
    } else {
        Err(invalid(field, "must be 0..1000000 grams"))
    }
}

/// A new SKU (CreateProduct, AddSkus).
pub fn sku_in(field: &str, s: &pb::Sku) -> Result<Sku, AppError> {
    let sale = s
        .sale_price
        .as_ref()
        .ok_or_else(|| rejected("PRICE_INVALID", format!("{field}.sale_price"), "required"))?;
    Ok(Sku {
        id: Uuid::nil(),
        product_id: Uuid::nil(),
        specs: s
            .specs
            .iter()
            .map(|v| SpecValue {
                dimension: v.dimension.trim().to_owned(),
                value: v.value.trim().to_owned(),
            })
            .collect(),
        sku_code: code(&format!("{field}.sku_code"), &s.sku_code)?,
        barcode: code(&format!("{field}.barcode"), &s.barcode)?,
        weight_grams: weight(&format!("{field}.weight_grams"), s.weight_grams)?,
        list_price: s
            .list_price
            .as_ref()
            .map(|m| money_in(&format!("{field}.list_price"), m))
            .transpose()?,
        sale_price: money_in(&format!("{field}.sale_price"), sale)?,
        member_prices: tier_prices_in(&format!("{field}.member_prices"), &s.member_prices)?,
        member_discount_eligible: s.member_discount_eligible,
        image_url: url(&format!("{field}.image_url"), &s.image_url)?,
        enabled: s.enabled,
        title: String::new(),
        online: true,
        store_mode: StoreMode::All,
    })
}

/// A SKU on the wire.
pub fn sku_out(s: &Sku) -> pb::Sku {
    pb::Sku {
        sku_id: s.id.to_string(),
        product_id: s.product_id.to_string(),
        specs: s
            .specs
            .iter()
            .map(|v| pb::SpecValue {
                dimension: v.dimension.clone(),
                value: v.value.clone(),
            })
            .collect(),
        sku_code: s.sku_code.clone(),
        barcode: s.barcode.clone(),
        weight_grams: s.weight_grams,
        list_price: s.list_price.map(money_out),
        sale_price: Some(money_out(s.sale_price)),
        member_prices: s
            .member_prices
            .iter()
            .map(|t| pb::TierPrice {
                tier_code: t.tier_code.clone(),
                price: Some(money_out(t.price)),
            })
            .collect(),
        member_discount_eligible: s.member_discount_eligible,
        image_url: s.image_url.clone(),
        enabled: s.enabled,
        title: s.title.clone(),
    }
}

/// The product of a CreateProduct / UpdateProduct request (the fields the caller may set).
pub fn product_in(p: &pb::Product, with_skus: bool) -> Result<Product, AppError> {
    if p.media.len() > 30 || p.attributes.len() > 50 || p.keywords.len() > 30 {
        return Err(invalid(
            "product",
            "at most 30 media, 50 attributes, 30 keywords",
        ));
    }
    if with_skus && (p.skus.is_empty() || p.skus.len() > 500) {
        return Err(invalid("product.skus", "must hold 1..500 SKUs"));
    }
    Ok(Product {
        id: Uuid::nil(),
        title: text("product.title", &p.title, 1, 60)?,
        subtitle: text("product.subtitle", &p.subtitle, 0, 120)?,
        category_id: super::convert::opt_id("product.category_id", &p.category_id)?,
        category_path: Vec::new(),
        brand: text("product.brand", &p.brand, 0, 60)?,
        media: p
            .media
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let kind = match pb::MediaKind::try_from(m.kind) {
                    Ok(pb::MediaKind::Image) => 1,
                    Ok(pb::MediaKind::Video) => 2,
                    _ => {
                        return Err(invalid(
                            format!("product.media[{i}].kind"),
                            "IMAGE or VIDEO",
                        ));
                    }
                };
                let u = url(&format!("product.media[{i}].url"), &m.url)?;
                if u.is_empty() {
                    return Err(invalid(format!("product.media[{i}].url"), "required"));
                }
                Ok(Media {
                    kind,
                    url: u,
                    cover_url: url(&format!("product.media[{i}].cover_url"), &m.cover_url)?,
                    alt: text(&format!("product.media[{i}].alt"), &m.alt, 0, 200)?,
                })
            })
            .collect::<Result<_, _>>()?,
        attributes: p
            .attributes
            .iter()
            .enumerate()
            .map(|(i, a)| {
                Ok::<_, AppError>(Attribute {
                    name: text(&format!("product.attributes[{i}].name"), &a.name, 1, 20)?,
                    value: text(&format!("product.attributes[{i}].value"), &a.value, 1, 200)?,
                })
            })
            .collect::<Result<_, _>>()?,
        spec_dimensions: dims_in("product.spec_dimensions", &p.spec_dimensions)?,
        description: text("product.description", &p.description, 0, 50_000)?,
        keywords: p
            .keywords
            .iter()
            .enumerate()
            .map(|(i, k)| text(&format!("product.keywords[{i}]"), k, 1, 30))
            .collect::<Result<_, _>>()?,
        status: ProductStatus::Draft,
        skus: if with_skus {
            p.skus
                .iter()
                .enumerate()
                .map(|(i, s)| sku_in(&format!("product.skus[{i}]"), s))
                .collect::<Result<_, _>>()?
        } else {
            Vec::new()
        },
        sales_30d: 0,
        created_at_ms: 0,
        first_on_sale_at_ms: None,
        updated_at_ms: 0,
    })
}

/// A product on the wire (with its SKUs when loaded).
pub fn product_out(p: &Product) -> pb::Product {
    pb::Product {
        product_id: p.id.to_string(),
        title: p.title.clone(),
        subtitle: p.subtitle.clone(),
        category_id: p.category_id.map(|c| c.to_string()).unwrap_or_default(),
        category_ids: p.category_path.iter().map(ToString::to_string).collect(),
        brand: p.brand.clone(),
        media: p
            .media
            .iter()
            .map(|m| pb::Media {
                kind: m.kind,
                url: m.url.clone(),
                cover_url: m.cover_url.clone(),
                alt: m.alt.clone(),
            })
            .collect(),
        attributes: p
            .attributes
            .iter()
            .map(|a| pb::ProductAttribute {
                name: a.name.clone(),
                value: a.value.clone(),
            })
            .collect(),
        spec_dimensions: p
            .spec_dimensions
            .iter()
            .map(|d| pb::SpecDimension {
                name: d.name.clone(),
                values: d.values.clone(),
            })
            .collect(),
        description: p.description.clone(),
        keywords: p.keywords.clone(),
        status: p.status as i32,
        skus: p.skus.iter().map(sku_out).collect(),
        sales_30d: p.sales_30d,
        created_at: Some(ts(p.created_at_ms)),
        first_on_sale_at: p.first_on_sale_at_ms.map(ts),
        updated_at: Some(ts(p.updated_at_ms)),
    }
}

/// Update-mask paths, each checked against `allowed`.
pub fn mask(m: Option<&prost_types::FieldMask>, allowed: &[&str]) -> Result<Vec<String>, AppError> {
    let paths = m.map(|m| m.paths.clone()).unwrap_or_default();
    if paths.is_empty() {
        return Err(invalid("update_mask", "at least one path"));
    }
    for p in &paths {
        if !allowed.contains(&p.as_str()) {
            return Err(invalid(
                "update_mask",
                format!("unknown or immutable path {p}"),
            ));
        }
    }
    Ok(paths)
}
