//! Products on the wire: the fields a caller may set (CreateProduct, UpdateProduct) and the
//! product as answered.

use siyu_proto::catalog::v1 as pb;
use siyu_proto::time::timestamp_ms;
use uuid::Uuid;

use crate::AppError;
use crate::app::domain::{Attribute, Media, Product, ProductStatus, SpecDimension};
use crate::grpc::convert::{each, opt_id, text, url};
use crate::grpc::skus::sku_in;

/// Spec dimensions of `field`: named (1..20), values 1..40 characters.
pub fn dims_in(field: &str, d: &[pb::SpecDimension]) -> Result<Vec<SpecDimension>, AppError> {
    each(field, d, |f, d| {
        Ok(SpecDimension {
            name: text(&format!("{f}.name"), &d.name, 1, 20)?,
            values: each(&format!("{f}.values"), &d.values, |f, v| text(f, v, 1, 40))?,
        })
    })
}

fn media_in(f: &str, m: &pb::Media) -> Result<Media, AppError> {
    let kind = match pb::MediaKind::try_from(m.kind) {
        Ok(pb::MediaKind::Image) => 1,
        Ok(pb::MediaKind::Video) => 2,
        _ => return Err(AppError::invalid(format!("{f}.kind"), "IMAGE or VIDEO")),
    };
    let u = url(&format!("{f}.url"), &m.url)?;
    if u.is_empty() {
        return Err(AppError::invalid(format!("{f}.url"), "required"));
    }
    Ok(Media {
        kind,
        url: u,
        cover_url: url(&format!("{f}.cover_url"), &m.cover_url)?,
        alt: text(&format!("{f}.alt"), &m.alt, 0, 200)?,
    })
}

/// The product of a CreateProduct (`with_skus`) or UpdateProduct request: the fields a caller
/// may set, each checked; the app assigns ids, paths and status.
pub fn product_in(p: &pb::Product, with_skus: bool) -> Result<Product, AppError> {
    if p.media.len() > 30 || p.attributes.len() > 50 || p.keywords.len() > 30 {
        return Err(AppError::invalid(
            "product",
            "at most 30 media, 50 attributes, 30 keywords",
        ));
    }
    if with_skus && (p.skus.is_empty() || p.skus.len() > 500) {
        return Err(AppError::invalid("product.skus", "must hold 1..500 SKUs"));
    }
    Ok(Product {
        id: Uuid::nil(),
        title: text("product.title", &p.title, 1, 60)?,
        subtitle: text("product.subtitle", &p.subtitle, 0, 120)?,
        category_id: opt_id("product.category_id", &p.category_id)?,
        category_path: Vec::new(),
        brand: text("product.brand", &p.brand, 0, 60)?,
        media: each("product.media", &p.media, media_in)?,
        attributes: each("product.attributes", &p.attributes, |f, a| {
            Ok(Attribute {
                name: text(&format!("{f}.name"), &a.name, 1, 20)?,
                value: text(&format!("{f}.value"), &a.value, 1, 200)?,
            })
        })?,
        spec_dimensions: dims_in("product.spec_dimensions", &p.spec_dimensions)?,
        description: text("product.description", &p.description, 0, 50_000)?,
        keywords: each("product.keywords", &p.keywords, |f, k| text(f, k, 1, 30))?,
        status: ProductStatus::Draft,
        skus: if with_skus {
            each("product.skus", &p.skus, sku_in)?
        } else {
            Vec::new()
        },
        sales_30d: 0,
        created_at_ms: 0,
        first_on_sale_at_ms: None,
        updated_at_ms: 0,
    })
}

impl From<&Product> for pb::Product {
    /// A product with its SKUs when loaded.
    fn from(p: &Product) -> Self {
        Self {
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
            skus: p.skus.iter().map(Into::into).collect(),
            sales_30d: p.sales_30d,
            created_at: Some(timestamp_ms(p.created_at_ms)),
            first_on_sale_at: p.first_on_sale_at_ms.map(timestamp_ms),
            updated_at: Some(timestamp_ms(p.updated_at_ms)),
        }
    }
}
