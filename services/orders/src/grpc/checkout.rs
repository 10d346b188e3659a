//! CheckoutService on the wire: Quote and Checkout. Both decode the same `QuoteInput` the same
//! way, so a checkout prices exactly what was quoted.

use prost::Message as _;
use siyu_proto::common::v1 as common;
use siyu_proto::orders::v1 as pb;
use siyu_proto::orders::v1::quote_input::Source as PbSource;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{Handlers, R, ctx};
use crate::AppError;
use crate::app::checkout::pay::NextAction;
use crate::app::checkout::quote::{MAX_LINES, Priced, QuoteRequest, Source, distinct_skus};
use crate::app::checkout::saga::{Attribution, CheckoutRequest, Snapshot};
use crate::app::orders::model::OrderKind;

/// Most coupons one order applies.
const MAX_COUPONS: usize = 10;

fn input(i: Option<&pb::QuoteInput>, now_ms: i64) -> Result<QuoteRequest, Status> {
    let i = i.ok_or_else(|| AppError::invalid("input", "required"))?;
    let source = match &i.source {
        None => {
            return Err(AppError::invalid(
                "input.source",
                "one of cart, lines, top_up or paid_membership is required",
            )
            .into());
        }
        Some(PbSource::Cart(_)) => Source::Cart,
        Some(PbSource::Lines(d)) => {
            if d.lines.is_empty() || d.lines.len() > MAX_LINES {
                return Err(AppError::invalid("input.lines.lines", "1 to 50 lines").into());
            }
            let mut lines = Vec::with_capacity(d.lines.len());
            for (n, l) in d.lines.iter().enumerate() {
                let field = format!("input.lines.lines[{n}]");
                let sku = Uuid::parse_str(&l.sku_id).map_err(|_| {
                    AppError::invalid(format!("{field}.sku_id"), "must be a SKU id")
                })?;
                if !(1..=999).contains(&l.quantity) {
                    return Err(
                        AppError::invalid(format!("{field}.quantity"), "must be 1 to 999").into(),
                    );
                }
                if !l.flash_sale_id.is_empty() || !l.flash_sale_slot_id.is_empty() {
                    return Err(Status::unimplemented(
                        "flash-sale lines are not sold through checkout yet",
                    ));
                }
                lines.push((sku, l.quantity));
            }
            if !distinct_skus(&lines) {
                return Err(AppError::invalid("input.lines.lines", "a SKU is listed twice").into());
            }
            Source::Lines(lines)
        }
        Some(PbSource::TopUp(t)) => Source::TopUp {
            plan_id: plan_id("input.top_up.plan_id", &t.plan_id)?,
        },
        Some(PbSource::PaidMembership(p)) => Source::PaidPlan {
            plan_id: plan_id("input.paid_membership.plan_id", &p.plan_id)?,
            auto_renew: p.auto_renew,
        },
    };
    if !matches!(source, Source::Cart | Source::Lines(_)) {
        only_goods(i)?;
    }
    if i.channel == common::Channel::Unspecified as i32
        || common::Channel::try_from(i.channel).is_err()
    {
        return Err(AppError::invalid("input.channel", "required").into());
    }
    if i.coupon_ids.len() > MAX_COUPONS {
        return Err(AppError::invalid("input.coupon_ids", "at most 10 coupons").into());
    }
    for (n, c) in i.coupon_ids.iter().enumerate() {
        if Uuid::parse_str(c).is_err() {
            return Err(
                AppError::invalid(format!("input.coupon_ids[{n}]"), "must be a coupon id").into(),
            );
        }
    }
    if i.points_to_use < 0 {
        return Err(AppError::invalid("input.points_to_use", "must not be negative").into());
    }
    let stored_value_fen = match &i.stored_value_to_use {
        None => 0,
        Some(m) if m.minor_units < 0 => {
            return Err(
                AppError::invalid("input.stored_value_to_use", "must not be negative").into(),
            );
        }
        Some(m) if m.minor_units > 0 && m.currency_code != "CNY" => {
            return Err(AppError::invalid("input.stored_value_to_use", "must be CNY").into());
        }
        Some(m) => m.minor_units,
    };
    let fulfilment = i
        .fulfilment
        .as_ref()
        .map(|f| super::carts::fulfilment(Some(f), now_ms))
        .transpose()?;
    Ok(QuoteRequest {
        source,
        fulfilment,
        channel: i.channel,
        coupon_ids: i.coupon_ids.clone(),
        auto_select_coupons: i.auto_select_coupons,
        points: i.points_to_use,
        stored_value_fen,
    })
}

/// A plan id: required, and an id.
fn plan_id(field: &str, v: &str) -> Result<Uuid, AppError> {
    if v.is_empty() {
        return Err(AppError::invalid(field, "required"));
    }
    Uuid::parse_str(v).map_err(|_| AppError::invalid(field, "must be a plan id"))
}

/// A top-up or paid plan is bought as it is: the goods-only fields must be unset.
fn only_goods(i: &pb::QuoteInput) -> Result<(), AppError> {
    let set = [
        ("input.fulfilment", i.fulfilment.is_some()),
        ("input.coupon_ids", !i.coupon_ids.is_empty()),
        ("input.auto_select_coupons", i.auto_select_coupons),
        ("input.points_to_use", i.points_to_use != 0),
        (
            "input.stored_value_to_use",
            i.stored_value_to_use
                .as_ref()
                .is_some_and(|m| m.minor_units != 0),
        ),
    ];
    match set.iter().find(|(_, is_set)| *is_set) {
        Some((field, _)) => Err(AppError::invalid(
            *field,
            "must be unset for a top-up or paid plan",
        )),
        None => Ok(()),
    }
}

#[tracing::instrument(skip_all)]
pub(super) async fn quote(
    h: &Handlers,
    request: Request<pb::QuoteRequest>,
) -> R<pb::QuoteResponse> {
    let ctx = ctx(&request)?;
    let req = input(request.get_ref().input.as_ref(), h.app.now_ms())?;
    let priced = h.app.quote(&ctx, &req).await?;
    let mut quote = pb::Quote::from(&priced.quote);
    quote.tier_code.clone_from(&priced.buyer.tier_code);
    quote.quoted_at = Some(siyu_proto::time::timestamp_ms(h.app.now_ms()));
    Ok(Response::new(pb::QuoteResponse { quote: Some(quote) }))
}

fn attribution(a: Option<&common::Attribution>) -> Result<Attribution, AppError> {
    let Some(a) = a else {
        return Ok(Attribution::default());
    };
    let id = |field: &str, v: &str| -> Result<String, AppError> {
        if v.is_empty() || Uuid::parse_str(v).is_ok() {
            Ok(v.to_owned())
        } else {
            Err(AppError::invalid(
                format!("attribution.{field}"),
                "must be an id",
            ))
        }
    };
    if a.scene_code.chars().count() > 64 {
        return Err(AppError::invalid(
            "attribution.scene_code",
            "at most 64 characters",
        ));
    }
    Ok(Attribution {
        channel: a.channel,
        scene_code: a.scene_code.clone(),
        store_id: id("store_id", &a.store_id)?,
        guide_id: id("guide_id", &a.guide_id)?,
        campaign_id: id("campaign_id", &a.campaign_id)?,
        referrer_user_id: id("referrer_user_id", &a.referrer_user_id)?,
        content_id: id("content_id", &a.content_id)?,
        share_link_id: id("share_link_id", &a.share_link_id)?,
    })
}

/// The order's snapshot in the contract's encoding: priced content, fulfilment, attribution.
fn encode(priced: &Priced, a: &Attribution, note: &str) -> Snapshot {
    let quote = pb::Quote::from(&priced.quote);
    let order = pb::Order {
        tier_code: priced.buyer.tier_code.clone(),
        // Top-ups and paid plans are not fulfilled.
        fulfilment: (priced.kind == OrderKind::Goods)
            .then(|| pb::FulfilmentChoice::from(&priced.fulfilment)),
        amounts: quote.amounts.clone(),
        steps: quote.steps.clone(),
        coupon_ids: quote.applied_coupon_ids.clone(),
        attribution: Some(common::Attribution {
            channel: a.channel,
            scene_code: a.scene_code.clone(),
            store_id: a.store_id.clone(),
            guide_id: a.guide_id.clone(),
            campaign_id: a.campaign_id.clone(),
            referrer_user_id: a.referrer_user_id.clone(),
            content_id: a.content_id.clone(),
            share_link_id: a.share_link_id.clone(),
        }),
        buyer_note: note.to_owned(),
        ..pb::Order::default()
    };
    Snapshot {
        order: order.encode_to_vec(),
        lines: quote
            .lines
            .iter()
            .map(|l| l.priced.clone().unwrap_or_default().encode_to_vec())
            .collect(),
    }
}

#[tracing::instrument(skip_all)]
pub(super) async fn checkout(
    h: &Handlers,
    request: Request<pb::CheckoutRequest>,
) -> R<pb::CheckoutResponse> {
    let ctx = ctx(&request)?;
    let key = siyu_server::metadata::idempotency_key(&request)?
        .ok_or(AppError::IdempotencyKeyRequired)?;
    let req = request.get_ref();
    if req.input.as_ref().is_some_and(|i| i.auto_select_coupons) {
        return Err(AppError::invalid(
            "input.auto_select_coupons",
            "pass the chosen coupon ids explicitly",
        )
        .into());
    }
    let expected = req
        .expected_payable
        .as_ref()
        .ok_or_else(|| AppError::invalid("expected_payable", "required"))?;
    if expected.minor_units < 0 || expected.currency_code != "CNY" {
        return Err(AppError::invalid("expected_payable", "a CNY amount ≥ 0").into());
    }
    if req.buyer_note.chars().count() > 200 {
        return Err(AppError::invalid("buyer_note", "at most 200 characters").into());
    }
    let checkout = CheckoutRequest {
        quote: input(req.input.as_ref(), h.app.now_ms())?,
        expected_payable_fen: expected.minor_units,
        attribution: attribution(req.attribution.as_ref())?,
        buyer_note: req.buyer_note.clone(),
        app_id: req.app_id.clone(),
    };
    let hash = siyu_store::idempotency::request_hash(
        "/siyu.orders.v1.CheckoutService/Checkout",
        &req.encode_to_vec(),
    );
    let placed = h.app.checkout(&ctx, &key, &hash, &checkout, encode).await?;
    let order = super::orders::to_pb(&placed.order, true)?;
    let (next_action, params, payment_id) = match &placed.next {
        NextAction::RequestPayment(prepaid) => (
            pb::CheckoutNextAction::RequestPayment,
            Some(wechat_params(&prepaid.params)),
            prepaid.payment.id.to_string(),
        ),
        NextAction::Nothing => (pb::CheckoutNextAction::None, None, String::new()),
        NextAction::RetryPayment => (pb::CheckoutNextAction::RetryPayment, None, String::new()),
    };
    Ok(Response::new(pb::CheckoutResponse {
        order: Some(order),
        next_action: next_action as i32,
        wechat_pay_params: params,
        payment_id,
    }))
}

/// The payment parameters in the orders package's shape (the same fields as payments').
fn wechat_params(p: &crate::app::payments::WechatPayParams) -> pb::WechatPayParams {
    pb::WechatPayParams {
        app_id: p.app_id.clone(),
        time_stamp: p.time_stamp.clone(),
        nonce_str: p.nonce_str.clone(),
        package: p.package.clone(),
        sign_type: p.sign_type.clone(),
        pay_sign: p.pay_sign.clone(),
    }
}
