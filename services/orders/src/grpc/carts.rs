//! CartService on the wire: GetCart, AddCartLine, UpdateCartLine, RemoveCartLines,
//! SelectCartLines, SetCartFulfilment. Each reply is the whole cart, priced when catalog
//! answered.

use siyu_proto::common::v1 as common;
use siyu_proto::orders::v1 as pb;
use siyu_proto::time::{millis, timestamp_ms};
use tonic::{Request, Response};
use uuid::Uuid;

use super::{Handlers, R, ctx};
use crate::AppError;
use crate::app::carts::{
    Address, CartView, Fulfilment, FulfilmentMode, GeoPoint, Lines, MAX_LINES, MAX_QUANTITY, Money,
    TierAnswer, consumer,
};

/// A required UUID field.
fn id(field: &str, value: &str) -> Result<Uuid, AppError> {
    if value.is_empty() {
        return Err(AppError::invalid(field, "required"));
    }
    Uuid::parse_str(value).map_err(|_| AppError::invalid(field, "must be a UUID"))
}

/// A quantity of a line, 1..999.
fn quantity(value: i32) -> Result<i32, AppError> {
    if (1..=MAX_QUANTITY).contains(&value) {
        Ok(value)
    } else {
        Err(AppError::invalid("quantity", "must be 1 to 999"))
    }
}

/// `line_ids` xor `all`, up to 100 distinct ids.
fn lines(ids: &[String], all: bool) -> Result<Lines, AppError> {
    match (ids.is_empty(), all) {
        (true, false) => Err(AppError::invalid("line_ids", "name lines or set all")),
        (false, true) => Err(AppError::invalid(
            "line_ids",
            "must be empty when all is set",
        )),
        (true, true) => Ok(Lines::All),
        (false, false) => {
            if ids.len() > MAX_LINES {
                return Err(AppError::invalid("line_ids", "at most 100 ids"));
            }
            let mut parsed = ids
                .iter()
                .enumerate()
                .map(|(i, v)| id(&format!("line_ids[{i}]"), v))
                .collect::<Result<Vec<_>, _>>()?;
            parsed.sort();
            parsed.dedup();
            Ok(Lines::Ids(parsed))
        }
    }
}

/// An 11-digit mainland mobile number or an E.164 number.
fn is_phone(value: &str) -> bool {
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    match value.strip_prefix('+') {
        Some(rest) => (8..=15).contains(&rest.len()) && digits(rest) && !rest.starts_with('0'),
        None => value.len() == 11 && value.starts_with('1') && digits(value),
    }
}

fn text(field: &str, value: &str, min: usize, max: usize) -> Result<String, AppError> {
    let n = value.trim().chars().count();
    if n < min || value.chars().count() > max {
        let why = if min > 0 && n == 0 {
            "required".to_owned()
        } else {
            format!("{min} to {max} characters")
        };
        return Err(AppError::invalid(field, why));
    }
    Ok(value.to_owned())
}

fn address(a: &common::Address, needs_location: bool) -> Result<Address, AppError> {
    let f = "fulfilment.address";
    if a.contact_phone.is_empty() {
        return Err(AppError::invalid(format!("{f}.contact_phone"), "required"));
    }
    if !is_phone(&a.contact_phone) {
        return Err(AppError::invalid(
            format!("{f}.contact_phone"),
            "an 11-digit mainland mobile number or E.164",
        ));
    }
    let location = match &a.location {
        Some(g) => {
            if !(-90.0..=90.0).contains(&g.latitude) || !(-180.0..=180.0).contains(&g.longitude) {
                return Err(AppError::invalid(
                    format!("{f}.location"),
                    "latitude -90..90, longitude -180..180",
                ));
            }
            Some(GeoPoint {
                latitude: g.latitude,
                longitude: g.longitude,
            })
        }
        None if needs_location => {
            return Err(AppError::invalid(
                format!("{f}.location"),
                "required for same-city delivery",
            ));
        }
        None => None,
    };
    Ok(Address {
        province: text(&format!("{f}.province"), &a.province, 0, 30)?,
        city: text(&format!("{f}.city"), &a.city, 0, 30)?,
        district: text(&format!("{f}.district"), &a.district, 0, 30)?,
        detail: text(&format!("{f}.detail"), &a.detail, 1, 200)?,
        postal_code: text(&format!("{f}.postal_code"), &a.postal_code, 0, 10)?,
        contact_name: text(&format!("{f}.contact_name"), &a.contact_name, 1, 30)?,
        contact_phone: a.contact_phone.clone(),
        location,
    })
}

/// The fulfilment choice of SetCartFulfilment, checked field by field.
pub(super) fn fulfilment(
    choice: Option<&pb::FulfilmentChoice>,
    now_ms: i64,
) -> Result<Fulfilment, AppError> {
    let c = choice.ok_or_else(|| AppError::invalid("fulfilment", "required"))?;
    let mode = match pb::FulfilmentMode::try_from(c.mode) {
        Ok(pb::FulfilmentMode::Unspecified) => FulfilmentMode::Unspecified,
        Ok(pb::FulfilmentMode::Delivery) => FulfilmentMode::Delivery,
        Ok(pb::FulfilmentMode::StorePickup) => FulfilmentMode::StorePickup,
        Ok(pb::FulfilmentMode::SameCity) => FulfilmentMode::SameCity,
        Err(_) => return Err(AppError::invalid("fulfilment.mode", "unknown mode")),
    };
    let store_id = if c.store_id.is_empty() && mode == FulfilmentMode::Unspecified {
        None
    } else {
        Some(id("fulfilment.store_id", &c.store_id)?)
    };
    let address = match (mode.needs_address(), &c.address) {
        (true, None) => return Err(AppError::invalid("fulfilment.address", "required")),
        (true, Some(a)) => Some(address(a, mode == FulfilmentMode::SameCity)?),
        (false, _) => None,
    };
    let pickup = mode == FulfilmentMode::StorePickup;
    let pickup_contact_name = if pickup {
        text(
            "fulfilment.pickup_contact_name",
            &c.pickup_contact_name,
            0,
            30,
        )?
    } else {
        String::new()
    };
    let pickup_contact_phone = if pickup && !c.pickup_contact_phone.is_empty() {
        if !is_phone(&c.pickup_contact_phone) {
            return Err(AppError::invalid(
                "fulfilment.pickup_contact_phone",
                "an 11-digit mainland mobile number or E.164",
            ));
        }
        c.pickup_contact_phone.clone()
    } else {
        String::new()
    };
    const WEEK_MS: i64 = 7 * 24 * 3600 * 1000;
    let start = c.preferred_window_start.as_ref().map(millis);
    let end = c.preferred_window_end.as_ref().map(millis);
    if let Some(s) = start
        && (s <= now_ms || s > now_ms + WEEK_MS)
    {
        return Err(AppError::invalid(
            "fulfilment.preferred_window_start",
            "must be in the future and within 7 days",
        ));
    }
    if let Some(e) = end {
        let after = start.unwrap_or(now_ms);
        if e <= after {
            return Err(AppError::invalid(
                "fulfilment.preferred_window_end",
                "must be after the window start",
            ));
        }
    }
    Ok(Fulfilment {
        mode,
        store_id,
        address,
        pickup_contact_name,
        pickup_contact_phone,
        window_start_ms: start,
        window_end_ms: end,
    })
}

fn money(m: &Money) -> common::Money {
    common::Money {
        minor_units: m.minor_units,
        currency_code: m.currency.clone(),
    }
}

fn mode(m: FulfilmentMode) -> pb::FulfilmentMode {
    match m {
        FulfilmentMode::Unspecified => pb::FulfilmentMode::Unspecified,
        FulfilmentMode::Delivery => pb::FulfilmentMode::Delivery,
        FulfilmentMode::StorePickup => pb::FulfilmentMode::StorePickup,
        FulfilmentMode::SameCity => pb::FulfilmentMode::SameCity,
    }
}

impl From<&Fulfilment> for pb::FulfilmentChoice {
    fn from(f: &Fulfilment) -> Self {
        Self {
            mode: mode(f.mode) as i32,
            store_id: f.store_id.map(|s| s.to_string()).unwrap_or_default(),
            address: f.address.as_ref().map(|a| common::Address {
                province: a.province.clone(),
                city: a.city.clone(),
                district: a.district.clone(),
                detail: a.detail.clone(),
                postal_code: a.postal_code.clone(),
                contact_name: a.contact_name.clone(),
                contact_phone: a.contact_phone.clone(),
                location: a.location.map(|g| common::GeoPoint {
                    latitude: g.latitude,
                    longitude: g.longitude,
                }),
            }),
            pickup_contact_name: f.pickup_contact_name.clone(),
            pickup_contact_phone: f.pickup_contact_phone.clone(),
            preferred_window_start: f.window_start_ms.map(timestamp_ms),
            preferred_window_end: f.window_end_ms.map(timestamp_ms),
        }
    }
}

/// Catalog's unsellable reason in the cart's vocabulary.
fn unsellable(catalog_reason: &str) -> &'static str {
    match catalog_reason {
        "NOT_IN_ASSORTMENT" => "NOT_IN_STORE_ASSORTMENT",
        _ => "SKU_NOT_SELLABLE",
    }
}

impl From<&CartView> for pb::Cart {
    fn from(v: &CartView) -> Self {
        let c = &v.cart;
        let mut lines = Vec::with_capacity(c.lines.len());
        let (mut selected_lines, mut selected_quantity) = (0, 0);
        let mut subtotal: Option<common::Money> = None;
        for l in &c.lines {
            let price = v.prices.as_ref().map(|p| p.get(&l.sku_id));
            let mut line = pb::CartLine {
                line_id: l.id.to_string(),
                sku_id: l.sku_id.to_string(),
                quantity: l.quantity,
                selected: l.selected,
                added_at: Some(timestamp_ms(l.added_at_ms)),
                ..Default::default()
            };
            match price {
                Some(Some(p)) => {
                    line.product_id = p.product_id.clone();
                    line.title = p.title.clone();
                    line.image_url = p.image_url.clone();
                    line.unit_price = p.unit_price.as_ref().map(money);
                    line.list_price = p.list_price.as_ref().map(money);
                    line.sellable = p.sellable;
                    if !p.sellable {
                        line.unsellable_reason = unsellable(&p.unsellable_reason).into();
                    }
                }
                Some(None) => line.unsellable_reason = "SKU_NOT_FOUND".into(),
                None => {}
            }
            if l.selected {
                selected_lines += 1;
                // Unpriced (catalog unreachable): sellability unknown, the line still counts.
                if line.sellable || price.is_none() {
                    selected_quantity += l.quantity;
                }
                if line.sellable
                    && let Some(unit) = &line.unit_price
                {
                    let s = subtotal.get_or_insert_with(|| common::Money {
                        minor_units: 0,
                        currency_code: unit.currency_code.clone(),
                    });
                    s.minor_units += unit.minor_units * i64::from(l.quantity);
                }
            }
            lines.push(line);
        }
        if v.prices.is_some() && subtotal.is_none() {
            subtotal = Some(common::Money {
                minor_units: 0,
                currency_code: "CNY".into(),
            });
        }
        Self {
            user_id: c.user_id.to_string(),
            member_id: v.member_id.clone().unwrap_or_default(),
            fulfilment: Some((&c.fulfilment).into()),
            lines,
            selected_line_count: selected_lines,
            selected_quantity,
            selected_subtotal: subtotal,
            updated_at: (c.updated_at_ms > 0).then(|| timestamp_ms(c.updated_at_ms)),
        }
    }
}

/// The member tier of the calling consumer, asked before the write transaction.
async fn tier(h: &Handlers, ctx: &siyu_core::Ctx) -> Result<TierAnswer, AppError> {
    let user = consumer(ctx)?;
    Ok(h.app.tier_of(ctx.tenant, user).await)
}

#[tracing::instrument(skip_all)]
pub(super) async fn get(
    h: &Handlers,
    request: Request<pb::GetCartRequest>,
) -> R<pb::GetCartResponse> {
    let ctx = ctx(&request)?;
    let user_id = &request.get_ref().user_id;
    let named = if user_id.is_empty() {
        None
    } else {
        Some(id("user_id", user_id)?)
    };
    let user = crate::app::carts::reader(&ctx, named)?;
    let view = h.app.get_cart(&ctx, user).await?;
    Ok(Response::new(pb::GetCartResponse {
        cart: Some((&view).into()),
    }))
}

#[tracing::instrument(skip_all)]
pub(super) async fn add(
    h: &Handlers,
    request: Request<pb::AddCartLineRequest>,
) -> R<pb::AddCartLineResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let sku = id("sku_id", &req.sku_id)?;
    let quantity = quantity(req.quantity)?;
    let tier = tier(h, &ctx).await?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let (view, line) = app.add_cart_line(txn, &ctx, sku, quantity, &tier).await?;
                Ok(pb::AddCartLineResponse {
                    cart: Some((&view).into()),
                    line_id: line.to_string(),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all)]
pub(super) async fn update(
    h: &Handlers,
    request: Request<pb::UpdateCartLineRequest>,
) -> R<pb::UpdateCartLineResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let line = id("line_id", &req.line_id)?;
    let quantity = quantity(req.quantity)?;
    let tier = tier(h, &ctx).await?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let view = app
                    .update_cart_line(txn, &ctx, line, quantity, &tier)
                    .await?;
                Ok(pb::UpdateCartLineResponse {
                    cart: Some((&view).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all)]
pub(super) async fn remove(
    h: &Handlers,
    request: Request<pb::RemoveCartLinesRequest>,
) -> R<pb::RemoveCartLinesResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let lines = lines(&req.line_ids, req.all)?;
    let tier = tier(h, &ctx).await?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let view = app.remove_cart_lines(txn, &ctx, &lines, &tier).await?;
                Ok(pb::RemoveCartLinesResponse {
                    cart: Some((&view).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all)]
pub(super) async fn select(
    h: &Handlers,
    request: Request<pb::SelectCartLinesRequest>,
) -> R<pb::SelectCartLinesResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let lines = lines(&req.line_ids, req.all)?;
    let selected = req.selected;
    let tier = tier(h, &ctx).await?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let view = app
                    .select_cart_lines(txn, &ctx, &lines, selected, &tier)
                    .await?;
                Ok(pb::SelectCartLinesResponse {
                    cart: Some((&view).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all)]
pub(super) async fn set_fulfilment(
    h: &Handlers,
    request: Request<pb::SetCartFulfilmentRequest>,
) -> R<pb::SetCartFulfilmentResponse> {
    let ctx = ctx(&request)?;
    let choice = fulfilment(request.get_ref().fulfilment.as_ref(), h.app.now_ms())?;
    let tier = tier(h, &ctx).await?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let view = app.set_cart_fulfilment(txn, &ctx, choice, &tier).await?;
                Ok(pb::SetCartFulfilmentResponse {
                    cart: Some((&view).into()),
                })
            })
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_mainland_mobiles_or_e164() {
        assert!(is_phone("13800138000"));
        assert!(is_phone("+8613800138000"));
        assert!(!is_phone("1380013800"));
        assert!(!is_phone("23800138000"));
        assert!(!is_phone("+0123456789"));
        assert!(!is_phone("phone"));
    }

    #[test]
    fn line_sets_need_ids_or_all_but_not_both() {
        assert!(lines(&[], false).is_err());
        assert!(lines(&["x".into()], true).is_err());
        assert!(lines(&["x".into()], false).is_err());
        assert_eq!(lines(&[], true).ok(), Some(Lines::All));
    }

    #[test]
    fn quantities_are_1_to_999() {
        for q in [0, -1, 1000, 1_000_000_000] {
            assert!(quantity(q).is_err(), "{q}");
        }
        assert_eq!(quantity(999).ok(), Some(999));
    }
}
