//! AfterSaleService on the wire: input checks (field violations), the mutations in one
//! transaction with the idempotency record, and the one conversion of a case into the
//! contract's `AfterSale`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use prost::Message as _;
use siyu_core::PrincipalKind;
use siyu_proto::common::v1 as common;
use siyu_proto::orders::v1 as pb;
use siyu_proto::time::timestamp_ms;
use siyu_server::Paging;
use tonic::{Request, Response};
use uuid::Uuid;

use super::{Handlers, R, ctx};
use crate::AppError;
use crate::app::after_sales::decide::Decide;
use crate::app::after_sales::model::{Case, Kind, Parcel};
use crate::app::after_sales::open::Ask;
use crate::repo::after_sales::CaseFilter;

pub mod error;

const LIST: Paging = Paging::new("after_sales", 20, 100);

fn cny(fen: i64) -> Option<common::Money> {
    Some(common::Money {
        minor_units: fen,
        currency_code: "CNY".into(),
    })
}

fn id(field: &str, value: &str) -> Result<Uuid, AppError> {
    if value.is_empty() {
        return Err(AppError::invalid(field, "required"));
    }
    Uuid::parse_str(value).map_err(|_| AppError::invalid(field, "must be a UUID"))
}

fn lines(field: &str, input: &[pb::AfterSaleLineInput]) -> Result<Vec<(Uuid, i32)>, AppError> {
    let mut out: Vec<(Uuid, i32)> = Vec::with_capacity(input.len());
    for (i, l) in input.iter().enumerate() {
        let line = id(&format!("{field}[{i}].order_line_id"), &l.order_line_id)?;
        if l.quantity <= 0 {
            return Err(AppError::invalid(
                format!("{field}[{i}].quantity"),
                "must be at least 1",
            ));
        }
        if out.iter().any(|(o, _)| *o == line) {
            return Err(AppError::invalid(
                format!("{field}[{i}].order_line_id"),
                "duplicate line",
            ));
        }
        out.push((line, l.quantity));
    }
    Ok(out)
}

fn kind(n: i32) -> Result<Kind, AppError> {
    i16::try_from(n)
        .ok()
        .and_then(|n| Kind::try_from(n).ok())
        .ok_or_else(|| AppError::invalid("kind", "required"))
}

/// The contract's `AfterSale` for a stored case.
pub fn to_pb(c: &Case, order_no: &str) -> pb::AfterSale {
    pb::AfterSale {
        after_sale_id: c.id.to_string(),
        after_sale_no: c.after_sale_no.clone(),
        order_id: c.order_id.to_string(),
        order_no: order_no.to_owned(),
        user_id: c.user_id.to_string(),
        member_id: String::new(),
        store_id: c.store_id.map(|s| s.to_string()).unwrap_or_default(),
        kind: c.kind as i32,
        status: i32::from(c.status.number()),
        reason: i32::from(c.reason),
        description: c.description.clone(),
        evidence_image_urls: c.extra.evidence.clone(),
        lines: c
            .lines
            .iter()
            .map(|l| pb::AfterSaleLine {
                order_line_id: l.order_line_id.to_string(),
                sku_id: String::new(),
                title: String::new(),
                quantity: l.quantity,
                cash_amount: cny(l.cash_fen),
                stored_value_amount: cny(l.stored_value_fen),
                refund_amount: cny(l.cash_fen + l.stored_value_fen),
                points: l.points,
            })
            .collect(),
        requested_amount: c.requested_fen.and_then(cny),
        shipping_refund: cny(c.shipping_refund_fen),
        refund_amount: cny(c.refund_fen),
        refund_points: c.refund_points,
        full_refund: c.full_refund,
        opened_by_kind: i32::from(c.opened_by_kind),
        opened_by_id: c.opened_by_id.clone(),
        decision: c.extra.decision.as_ref().map(|d| pb::AfterSaleDecision {
            actor_kind: i32::from(d.actor),
            actor_id: d.actor_id.clone(),
            note: d.note.clone(),
            decided_at: Some(timestamp_ms(d.at_ms)),
        }),
        return_address: B64
            .decode(&c.extra.return_address)
            .ok()
            .filter(|b| !b.is_empty())
            .and_then(|b| common::Address::decode(b.as_slice()).ok()),
        return_shipment: c.extra.parcel.as_ref().map(|p| pb::ReturnShipment {
            carrier_code: p.carrier_code.clone(),
            carrier_name: p.carrier_name.clone(),
            tracking_no: p.tracking_no.clone(),
            submitted_at: (p.submitted_at_ms > 0).then(|| timestamp_ms(p.submitted_at_ms)),
            received_at: p.received_at_ms.map(timestamp_ms),
            received_by_staff_id: p.received_by.clone(),
            restocked: p.restocked,
        }),
        refund_id: c.refund_id.map(|r| r.to_string()).unwrap_or_default(),
        refund_issue: c.refund_issue.clone(),
        created_at: Some(timestamp_ms(c.created_at_ms)),
        updated_at: Some(timestamp_ms(c.updated_at_ms)),
        closed_at: c.closed_at_ms.map(timestamp_ms),
    }
}

/// The case with its order's number, read outside the mutation.
async fn answer(
    h: &Handlers,
    tenant: siyu_core::TenantId,
    c: &Case,
) -> Result<pb::AfterSale, AppError> {
    let order = crate::repo::orders::get(&h.app.db, tenant, c.order_id, false).await?;
    Ok(to_pb(c, order.as_ref().map_or("", |o| o.order_no.as_str())))
}

#[tracing::instrument(skip_all)]
pub(super) async fn preview(
    h: &Handlers,
    request: Request<pb::PreviewAfterSaleRequest>,
) -> R<pb::PreviewAfterSaleResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let ask = Ask {
        order_id: id("order_id", &req.order_id)?,
        kind: kind(req.kind).unwrap_or(Kind::RefundOnly),
        lines: lines("lines", &req.lines)?,
        reason: 0,
        description: String::new(),
        evidence: Vec::new(),
        requested_fen: None,
    };
    let p = h
        .app
        .preview_after_sale(&h.app.db, &ctx, &ask, false)
        .await?;
    let to_line = |l: &crate::app::after_sales::model::CaseLine| pb::AfterSaleLine {
        order_line_id: l.order_line_id.to_string(),
        sku_id: String::new(),
        title: String::new(),
        quantity: l.quantity,
        cash_amount: cny(l.cash_fen),
        stored_value_amount: cny(l.stored_value_fen),
        refund_amount: cny(l.cash_fen + l.stored_value_fen),
        points: l.points,
    };
    Ok(Response::new(pb::PreviewAfterSaleResponse {
        lines: p.computed.lines.iter().map(to_line).collect(),
        shipping_refund: cny(p.computed.shipping_fen),
        refund_amount: cny(p.computed.refund_fen),
        refund_points: p.computed.points,
        full_refund: p.computed.full_refund,
        auto_approved: p.auto_approved,
        refundable_lines: p
            .funds
            .iter()
            .map(|f| {
                let rest = f.split(f.refundable_quantity());
                pb::RefundableLine {
                    order_line_id: f.line_id.to_string(),
                    refundable_quantity: f.refundable_quantity(),
                    refundable_amount: cny(if f.refundable_quantity() > 0 {
                        rest.cash_fen + rest.stored_value_fen
                    } else {
                        0
                    }),
                    refundable_points: if f.refundable_quantity() > 0 {
                        rest.points
                    } else {
                        0
                    },
                }
            })
            .collect(),
        after_sale_deadline: p.order.after_sale_deadline_ms.map(timestamp_ms),
    }))
}

#[tracing::instrument(skip_all)]
pub(super) async fn request(
    h: &Handlers,
    request: Request<pb::RequestAfterSaleRequest>,
) -> R<pb::RequestAfterSaleResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let kind = kind(req.kind)?;
    // ORDER_CANCELLED_BY_STAFF (8) is the system's own reason.
    if !(1..=9).contains(&req.reason) || req.reason == 8 {
        return Err(AppError::invalid("reason", "required (not ORDER_CANCELLED_BY_STAFF)").into());
    }
    if req.description.chars().count() > 500 {
        return Err(AppError::invalid("description", "at most 500 characters").into());
    }
    if req.reason == 9 && req.description.trim().is_empty() {
        return Err(AppError::invalid("description", "required for OTHER").into());
    }
    if req.evidence_image_urls.len() > 9 {
        return Err(AppError::invalid("evidence_image_urls", "at most 9").into());
    }
    for (i, url) in req.evidence_image_urls.iter().enumerate() {
        if !url.starts_with("https://") {
            return Err(
                AppError::invalid(format!("evidence_image_urls[{i}]"), "must be https").into(),
            );
        }
    }
    let requested_fen = match &req.requested_amount {
        Some(m) if m.minor_units <= 0 => {
            return Err(AppError::invalid("requested_amount", "must be positive").into());
        }
        Some(m) => Some(m.minor_units),
        None => None,
    };
    let ask = Ask {
        order_id: id("order_id", &req.order_id)?,
        kind,
        lines: lines("lines", &req.lines)?,
        reason: i16::try_from(req.reason).unwrap_or_default(),
        description: req.description.clone(),
        evidence: req.evidence_image_urls.clone(),
        requested_fen,
    };
    let app = h.app.clone();
    let tenant = ctx.tenant;
    let inner = ctx.clone();
    let answer = h
        .mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let case = app.request_after_sale(txn, &inner, &ask).await?;
                let order =
                    crate::repo::orders::get(txn, inner.tenant, case.order_id, false).await?;
                Ok(pb::RequestAfterSaleResponse {
                    after_sale: Some(to_pb(
                        &case,
                        order.as_ref().map_or("", |o| o.order_no.as_str()),
                    )),
                })
            })
        })
        .await?;
    kick(h, tenant, answer.get_ref().after_sale.as_ref());
    Ok(answer)
}

/// Runs the refund an answered case started (its task would, later).
fn kick(h: &Handlers, tenant: siyu_core::TenantId, case: Option<&pb::AfterSale>) {
    if let Some(refund) = case.and_then(|c| c.refund_id.parse().ok()) {
        h.app.kick_refund(tenant, refund);
    }
}

#[tracing::instrument(skip_all)]
pub(super) async fn get(
    h: &Handlers,
    request: Request<pb::GetAfterSaleRequest>,
) -> R<pb::GetAfterSaleResponse> {
    let ctx = ctx(&request)?;
    let case = h
        .app
        .visible_case(&ctx, id("after_sale_id", &request.get_ref().after_sale_id)?)
        .await?;
    Ok(Response::new(pb::GetAfterSaleResponse {
        after_sale: Some(answer(h, ctx.tenant, &case).await?),
    }))
}

#[tracing::instrument(skip_all)]
pub(super) async fn list(
    h: &Handlers,
    request: Request<pb::ListAfterSalesRequest>,
) -> R<pb::ListAfterSalesResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let order_id = (!req.order_id.is_empty())
        .then(|| id("order_id", &req.order_id))
        .transpose()?;
    let small = |field: &str, list: &[i32], max: i32| -> Result<Vec<i16>, AppError> {
        list.iter()
            .enumerate()
            .map(|(i, n)| {
                i16::try_from(*n)
                    .ok()
                    .filter(|n| (1..=max).contains(&i32::from(*n)))
                    .ok_or_else(|| AppError::invalid(format!("{field}[{i}]"), "unknown value"))
            })
            .collect()
    };
    let mut filter = CaseFilter {
        order_id,
        statuses: small("statuses", &req.statuses, 7)?,
        kinds: small("kinds", &req.kinds, 2)?,
        ..CaseFilter::default()
    };
    let consumer = ctx.principal.kind == PrincipalKind::Consumer;
    if consumer {
        filter.user_id = Some(crate::app::carts::consumer(&ctx)?);
    } else {
        filter.user_id = (!req.user_id.is_empty())
            .then(|| id("user_id", &req.user_id))
            .transpose()?;
        filter.store_ids = req
            .store_ids
            .iter()
            .enumerate()
            .map(|(i, s)| id(&format!("store_ids[{i}]"), s))
            .collect::<Result<_, _>>()?;
        filter.created_from_ms = req.created_from.as_ref().map(siyu_proto::time::millis);
        filter.created_to_ms = req.created_to.as_ref().map(siyu_proto::time::millis);
        filter.needs_attention = req.needs_attention;
        if let (Some(from), Some(to)) = (filter.created_from_ms, filter.created_to_ms)
            && from >= to
        {
            return Err(AppError::invalid("created_to", "must be after created_from").into());
        }
    }
    let page = super::page_of::<(i64, Uuid)>(&LIST, req.page.as_ref())?;
    let cases = crate::repo::after_sales::list(
        &h.app.db,
        ctx.tenant,
        &filter,
        page.after,
        page.fetch_limit(),
    )
    .await?;
    let cases: Vec<Case> = cases
        .into_iter()
        .filter(|c| crate::app::orders::may_see(&ctx, c.user_id, c.store_id))
        .collect();
    let (cases, next) = LIST.finish(cases, &page, |c| (c.created_at_ms, c.id));
    let mut out = Vec::with_capacity(cases.len());
    for c in &cases {
        out.push(answer(h, ctx.tenant, c).await?);
    }
    Ok(Response::new(pb::ListAfterSalesResponse {
        after_sales: out,
        page: Some(next),
    }))
}

/// Runs `decide` on the case in one transaction with the idempotency record.
macro_rules! mutate_case {
    ($h:expr, $request:expr, $resp:ident, |$app:ident, $txn:ident, $ctx:ident, $id:ident| $body:expr) => {{
        let $ctx = ctx(&$request)?;
        let $id = id("after_sale_id", &$request.get_ref().after_sale_id)?;
        let $app = $h.app.clone();
        let tenant = $ctx.tenant;
        $h.mutations
            .mutate(&$request, move |$txn| {
                Box::pin(async move {
                    let case: Case = $body.await?;
                    let order =
                        crate::repo::orders::get($txn, $ctx.tenant, case.order_id, false).await?;
                    Ok(pb::$resp {
                        after_sale: Some(to_pb(
                            &case,
                            order.as_ref().map_or("", |o| o.order_no.as_str()),
                        )),
                    })
                })
            })
            .await
            .inspect(|answer| kick($h, tenant, answer.get_ref().after_sale.as_ref()))
    }};
}

#[tracing::instrument(skip_all)]
pub(super) async fn approve(
    h: &Handlers,
    request: Request<pb::ApproveAfterSaleRequest>,
) -> R<pb::ApproveAfterSaleResponse> {
    let req = request.get_ref();
    if req.note.chars().count() > 200 {
        return Err(AppError::invalid("note", "at most 200 characters").into());
    }
    let input = Decide {
        note: req.note.clone(),
        return_address: req
            .return_address
            .as_ref()
            .map(|a| B64.encode(a.encode_to_vec()))
            .unwrap_or_default(),
        ..Decide::default()
    };
    // Whether a return address is needed depends on the case's kind.
    let case_id = id("after_sale_id", &req.after_sale_id)?;
    let caller = ctx(&request)?;
    let case = h.app.visible_case(&caller, case_id).await?;
    if case.kind == Kind::ReturnAndRefund && req.return_address.is_none() {
        return Err(AppError::invalid("return_address", "required for RETURN_AND_REFUND").into());
    }
    mutate_case!(h, request, ApproveAfterSaleResponse, |app, txn, ctx, id| {
        app.approve_after_sale(txn, &ctx, id, input)
    })
}

#[tracing::instrument(skip_all)]
pub(super) async fn reject(
    h: &Handlers,
    request: Request<pb::RejectAfterSaleRequest>,
) -> R<pb::RejectAfterSaleResponse> {
    let note = request.get_ref().note.clone();
    let n = note.chars().count();
    if n == 0 || n > 200 {
        return Err(AppError::invalid("note", "1 to 200 characters").into());
    }
    mutate_case!(h, request, RejectAfterSaleResponse, |app, txn, ctx, id| app
        .close_after_sale(txn, &ctx, id, true, note))
}

#[tracing::instrument(skip_all)]
pub(super) async fn cancel(
    h: &Handlers,
    request: Request<pb::CancelAfterSaleRequest>,
) -> R<pb::CancelAfterSaleResponse> {
    mutate_case!(h, request, CancelAfterSaleResponse, |app, txn, ctx, id| app
        .close_after_sale(txn, &ctx, id, false, String::new()))
}

#[tracing::instrument(skip_all)]
pub(super) async fn submit_return(
    h: &Handlers,
    request: Request<pb::SubmitReturnShipmentRequest>,
) -> R<pb::SubmitReturnShipmentResponse> {
    let req = request.get_ref();
    let code = req.carrier_code.trim();
    if code.is_empty() || code.chars().count() > 32 {
        return Err(AppError::invalid("carrier_code", "1 to 32 characters").into());
    }
    let tracking = req.tracking_no.trim();
    if tracking.is_empty() || tracking.chars().count() > 64 {
        return Err(AppError::invalid("tracking_no", "1 to 64 characters").into());
    }
    if req.carrier_name.chars().count() > 64 {
        return Err(AppError::invalid("carrier_name", "at most 64 characters").into());
    }
    let parcel = Parcel {
        carrier_code: code.to_owned(),
        carrier_name: req.carrier_name.clone(),
        tracking_no: tracking.to_owned(),
        submitted_at_ms: h.app.now_ms(),
        ..Parcel::default()
    };
    mutate_case!(
        h,
        request,
        SubmitReturnShipmentResponse,
        |app, txn, ctx, id| app.submit_return(txn, &ctx, id, parcel)
    )
}

#[tracing::instrument(skip_all)]
pub(super) async fn confirm_return(
    h: &Handlers,
    request: Request<pb::ConfirmReturnReceivedRequest>,
) -> R<pb::ConfirmReturnReceivedResponse> {
    let req = request.get_ref();
    if req.note.chars().count() > 200 {
        return Err(AppError::invalid("note", "at most 200 characters").into());
    }
    let (restock, note) = (req.restock, req.note.clone());
    mutate_case!(
        h,
        request,
        ConfirmReturnReceivedResponse,
        |app, txn, ctx, id| app.confirm_return(txn, &ctx, id, restock, &note)
    )
}
