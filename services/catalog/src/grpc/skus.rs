//! CatalogService: adding, updating and batch-reading SKUs, and SKUs on the wire.

use siyu_proto::catalog::v1 as pb;
use tonic::{Request, Response};
use uuid::Uuid;

use super::convert::{cny, each, id, mask, money, required, required_money, text, url};
use super::products::dims_in;
use super::{Handlers, R, ctx};
use crate::AppError;
use crate::app::domain::{Sku, SpecValue, StoreMode, TierPrice};
use crate::app::skus::SkuPatch;

/// Paths UpdateSku accepts.
const UPDATABLE: &[&str] = &[
    "sku_code",
    "barcode",
    "weight_grams",
    "list_price",
    "sale_price",
    "member_prices",
    "member_discount_eligible",
    "image_url",
    "enabled",
];

/// Code and barcode rule: 0..64 printable characters.
fn code(field: &str, v: &str) -> Result<String, AppError> {
    if v.chars().count() > 64 || v.chars().any(char::is_control) {
        Err(AppError::invalid(
            field,
            "must be at most 64 printable characters",
        ))
    } else {
        Ok(v.trim().to_owned())
    }
}

/// Weight rule: 0..1,000,000 g.
fn weight(field: &str, w: i32) -> Result<i32, AppError> {
    if (0..=1_000_000).contains(&w) {
        Ok(w)
    } else {
        Err(AppError::invalid(field, "must be 0..1000000 grams"))
    }
}

/// Member prices of `field`.
pub(super) fn tier_prices_in(field: &str, m: &[pb::TierPrice]) -> Result<Vec<TierPrice>, AppError> {
    each(field, m, |f, t| {
        Ok(TierPrice {
            tier_code: text(&format!("{f}.tier_code"), &t.tier_code, 1, 32)?,
            price: required_money(&format!("{f}.price"), t.price.as_ref())?,
        })
    })
}

/// A new SKU at `field` (CreateProduct, AddSkus); ids and title are assigned by the app.
pub(super) fn sku_in(field: &str, s: &pb::Sku) -> Result<Sku, AppError> {
    // A missing sale price is named before any other field, as the price that makes a SKU.
    let sale_field = format!("{field}.sale_price");
    let sale = s
        .sale_price
        .as_ref()
        .ok_or_else(|| AppError::PriceInvalid {
            field: sale_field.clone(),
            description: "required".into(),
        })?;
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
            .map(|m| money(&format!("{field}.list_price"), m))
            .transpose()?,
        sale_price: money(&sale_field, sale)?,
        member_prices: tier_prices_in(&format!("{field}.member_prices"), &s.member_prices)?,
        member_discount_eligible: s.member_discount_eligible,
        image_url: url(&format!("{field}.image_url"), &s.image_url)?,
        enabled: s.enabled,
        title: String::new(),
        online: true,
        store_mode: StoreMode::All,
    })
}

impl From<&Sku> for pb::Sku {
    fn from(s: &Sku) -> Self {
        Self {
            sku_id: s.id.to_string(),
            product_id: s.product_id.to_string(),
            specs: s.specs.iter().map(Into::into).collect(),
            sku_code: s.sku_code.clone(),
            barcode: s.barcode.clone(),
            weight_grams: s.weight_grams,
            list_price: s.list_price.map(cny),
            sale_price: Some(cny(s.sale_price)),
            member_prices: s
                .member_prices
                .iter()
                .map(|t| pb::TierPrice {
                    tier_code: t.tier_code.clone(),
                    price: Some(cny(t.price)),
                })
                .collect(),
            member_discount_eligible: s.member_discount_eligible,
            image_url: s.image_url.clone(),
            enabled: s.enabled,
            title: s.title.clone(),
        }
    }
}

impl From<&SpecValue> for pb::SpecValue {
    fn from(v: &SpecValue) -> Self {
        Self {
            dimension: v.dimension.clone(),
            value: v.value.clone(),
        }
    }
}

/// The SKU and its masked changes of an UpdateSku request. Every field is checked, masked or
/// not; only the masked ones change.
fn update_in(req: &pb::UpdateSkuRequest) -> Result<(Uuid, SkuPatch), AppError> {
    let s = required("sku", req.sku.as_ref())?;
    let id = id("sku.sku_id", &s.sku_id)?;
    let paths = mask(req.update_mask.as_ref(), UPDATABLE)?;
    let (sku_code, barcode) = (
        code("sku.sku_code", &s.sku_code)?,
        code("sku.barcode", &s.barcode)?,
    );
    let weight_grams = weight("sku.weight_grams", s.weight_grams)?;
    let list_price = s
        .list_price
        .as_ref()
        .map(|m| money("sku.list_price", m))
        .transpose()?;
    let sale_price = if paths.iter().any(|p| p == "sale_price") {
        Some(required_money("sku.sale_price", s.sale_price.as_ref())?)
    } else {
        None
    };
    let member_prices = tier_prices_in("sku.member_prices", &s.member_prices)?;
    let image_url = url("sku.image_url", &s.image_url)?;
    let mut patch = SkuPatch::default();
    for path in &paths {
        match path.as_str() {
            "sku_code" => patch.sku_code = Some(sku_code.clone()),
            "barcode" => patch.barcode = Some(barcode.clone()),
            "weight_grams" => patch.weight_grams = Some(weight_grams),
            "list_price" => patch.list_price = Some(list_price),
            "sale_price" => patch.sale_price = sale_price,
            "member_prices" => patch.member_prices = Some(member_prices.clone()),
            "member_discount_eligible" => {
                patch.member_discount_eligible = Some(s.member_discount_eligible);
            }
            "image_url" => patch.image_url = Some(image_url.clone()),
            _ => patch.enabled = Some(s.enabled),
        }
    }
    Ok((id, patch))
}

#[tracing::instrument(skip_all, fields(product_id = %request.get_ref().product_id))]
pub(super) async fn add(
    h: &Handlers,
    request: Request<pb::AddSkusRequest>,
) -> R<pb::AddSkusResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let id = id("product_id", &req.product_id)?;
    if req.skus.is_empty() || req.skus.len() > 500 {
        return Err(AppError::invalid("skus", "must hold 1..500 SKUs").into());
    }
    let skus = each("skus", &req.skus, sku_in)?;
    let dims = dims_in("spec_dimensions", &req.spec_dimensions)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let p = app.add_skus(txn, &ctx, id, skus, dims).await?;
                Ok(pb::AddSkusResponse {
                    product: Some((&p).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(sku_id))]
pub(super) async fn update(
    h: &Handlers,
    request: Request<pb::UpdateSkuRequest>,
) -> R<pb::UpdateSkuResponse> {
    let ctx = ctx(&request)?;
    let (id, patch) = update_in(request.get_ref())?;
    tracing::Span::current().record("sku_id", tracing::field::display(id));
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let s = app.update_sku(txn, &ctx, id, patch).await?;
                Ok(pb::UpdateSkuResponse {
                    sku: Some((&s).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all)]
pub(super) async fn batch_get(
    h: &Handlers,
    request: Request<pb::BatchGetSkusRequest>,
) -> R<pb::BatchGetSkusResponse> {
    let ctx = ctx(&request)?;
    let req = request.into_inner();
    let n = req.sku_ids.len() + req.barcodes.len() + req.sku_codes.len();
    if n == 0 || n > 200 {
        return Err(AppError::invalid("sku_ids", "1..200 keys in all three lists").into());
    }
    let ids = each("sku_ids", &req.sku_ids, |f, s| id(f, s))?;
    let (skus, not_found) = h
        .app
        .batch_get_skus(&ctx, ids, req.barcodes, req.sku_codes)
        .await?;
    Ok(Response::new(pb::BatchGetSkusResponse {
        skus: skus.iter().map(Into::into).collect(),
        not_found,
    }))
}
