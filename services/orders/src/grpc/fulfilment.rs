//! OrderService's staff side on the wire: ListStoreOrders and the fulfilment steps
//! (MarkOrderPreparing, ShipOrder, MarkOrderReadyForPickup, VerifyPickupCode, CompleteOrder,
//! UpdateShipment) and StaffCancelOrder; and what each viewer may read of an order (the pickup
//! code is the consumer's alone; partners without `orders.pii.read` do not see the consumer's
//! address and phones).

use siyu_core::{Ctx, PrincipalKind};
use siyu_proto::orders::v1 as pb;
use siyu_proto::time::timestamp_ms;
use siyu_server::Paging;
use tonic::{Request, Response};
use uuid::Uuid;

use super::orders::{order_id, to_pb};
use super::{Handlers, R, ctx};
use crate::AppError;
use crate::app::orders::fulfilment::{Actor, ShipInput, mode_of};
use crate::app::orders::model::{Cancellation, Order};
use crate::app::orders::status::OrderStatus;
use crate::repo::orders::fulfilment::StoreFilter;

const NEWEST: Paging = Paging::new("store_orders", 20, 200);
const SYNC: Paging = Paging::new("store_orders_sync", 20, 200);
/// The longest created-at range of a list that names no store.
const MAX_RANGE_MS: i64 = 92 * 86_400_000;

/// The order as `ctx` may read it (see the module docs); `with_timeline` for single reads.
pub fn view(ctx: &Ctx, order: &Order, with_timeline: bool) -> Result<pb::Order, AppError> {
    let mut o = to_pb(order, with_timeline)?;
    if ctx.principal.kind != PrincipalKind::Consumer
        && let Some(p) = o.pickup.as_mut()
    {
        p.pickup_code.clear();
    }
    if ctx.principal.kind == PrincipalKind::Partner && !ctx.principal.has_scope("orders.pii.read") {
        if let Some(f) = o.fulfilment.as_mut() {
            f.address = None;
            f.pickup_contact_name.clear();
            f.pickup_contact_phone.clear();
        }
        if let Some(s) = o.shipment.as_mut() {
            s.rider_phone.clear();
        }
    }
    Ok(o)
}

fn id(field: &str, value: &str) -> Result<Uuid, AppError> {
    if value.is_empty() {
        return Err(AppError::invalid(field, "required"));
    }
    Uuid::parse_str(value).map_err(|_| AppError::invalid(field, "must be a UUID"))
}

fn text(field: &str, value: &str, max: usize, required: bool) -> Result<String, AppError> {
    let value = value.trim();
    if required && value.is_empty() {
        return Err(AppError::invalid(field, "required"));
    }
    if value.chars().count() > max {
        return Err(AppError::invalid(
            field,
            format!("at most {max} characters"),
        ));
    }
    Ok(value.to_owned())
}

fn ms(t: Option<&prost_types::Timestamp>) -> Option<i64> {
    t.map(|t| t.seconds * 1000 + i64::from(t.nanos) / 1_000_000)
}

/// The stores `ctx` may list, given the ones it names: `None` = every store of the tenant.
fn stores_in_scope(ctx: &Ctx, named: Vec<Uuid>) -> Result<Option<Vec<Uuid>>, AppError> {
    if ctx.principal.kind != PrincipalKind::Staff || crate::app::orders::staff_sees(ctx, None) {
        return Ok((!named.is_empty()).then_some(named));
    }
    if let Some(out) = named
        .iter()
        .find(|s| !crate::app::orders::staff_sees(ctx, Some(**s)))
    {
        return Err(AppError::StoreOutOfScope(*out));
    }
    if !named.is_empty() {
        return Ok(Some(named));
    }
    let admitted = ctx
        .principal
        .grants
        .iter()
        .filter(|g| ctx.admitted_roles.is_empty() || ctx.admitted_roles.contains(&g.role));
    Ok(Some(admitted.filter_map(|g| g.org.unit()).collect()))
}

#[tracing::instrument(skip_all)]
pub(super) async fn list_store(
    h: &Handlers,
    request: Request<pb::ListStoreOrdersRequest>,
) -> R<pb::ListStoreOrdersResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let named = req
        .store_ids
        .iter()
        .enumerate()
        .map(|(i, s)| id(&format!("store_ids[{i}]"), s))
        .collect::<Result<Vec<_>, _>>()?;
    let mut statuses = Vec::new();
    for (i, n) in req.statuses.iter().enumerate() {
        let s = i16::try_from(*n)
            .ok()
            .and_then(|n| OrderStatus::try_from(n).ok())
            .ok_or_else(|| AppError::invalid(format!("statuses[{i}]"), "unknown status"))?;
        statuses.push(s);
    }
    let mut after_sale_states = Vec::new();
    for (i, n) in req.after_sale_states.iter().enumerate() {
        match i16::try_from(*n) {
            Ok(s) if (1..=5).contains(&s) => after_sale_states.push(s),
            _ => {
                return Err(
                    AppError::invalid(format!("after_sale_states[{i}]"), "unknown state").into(),
                );
            }
        }
    }
    for (i, m) in req.fulfilment_modes.iter().enumerate() {
        if !(1..=3).contains(m) {
            return Err(AppError::invalid(format!("fulfilment_modes[{i}]"), "unknown mode").into());
        }
    }
    let (from, to) = (ms(req.created_from.as_ref()), ms(req.created_to.as_ref()));
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            return Err(AppError::invalid("created_to", "before created_from").into());
        }
        if named.is_empty() && t - f > MAX_RANGE_MS {
            return Err(AppError::invalid(
                "created_to",
                "the range is longer than 92 days; name a store",
            )
            .into());
        }
    }
    let guide = (!req.guide_id.is_empty())
        .then(|| id("guide_id", &req.guide_id))
        .transpose()?
        .map(|g| g.to_string());
    let user_id = (!req.user_id.is_empty())
        .then(|| id("user_id", &req.user_id))
        .transpose()?;
    let updated_asc = match req.sort {
        0 | 1 => false,
        2 => true,
        _ => return Err(AppError::invalid("sort", "unknown sort").into()),
    };
    let list = if updated_asc { &SYNC } else { &NEWEST };
    let page = super::page_of::<(i64, Uuid)>(list, req.page.as_ref())?;
    let filter = StoreFilter {
        stores: stores_in_scope(&ctx, named)?,
        statuses,
        after_sale_states,
        created_from_ms: from,
        created_to_ms: to,
        updated_from_ms: ms(req.updated_from.as_ref()),
        user_id,
        updated_asc,
    };
    let key = |o: &Order| {
        if updated_asc {
            (o.updated_at_ms, o.id)
        } else {
            (o.created_at_ms, o.id)
        }
    };
    // Mode and guide live in the priced snapshot: filter each batch until the page is full.
    let limit = page.fetch_limit();
    let mut found = Vec::new();
    let mut after = page.after;
    loop {
        let batch = crate::repo::orders::fulfilment::list_by_store(
            &h.app.db, ctx.tenant, &filter, after, limit,
        )
        .await?;
        let exhausted = (batch.len() as u64) < limit;
        after = batch.last().map(key);
        for order in batch {
            let o = to_pb(&order, false)?;
            let mode_ok = req.fulfilment_modes.is_empty()
                || req
                    .fulfilment_modes
                    .contains(&o.fulfilment.as_ref().map_or(0, |f| f.mode));
            let guide_ok = guide
                .as_ref()
                .is_none_or(|g| o.attribution.as_ref().is_some_and(|a| &a.guide_id == g));
            if mode_ok && guide_ok {
                found.push(order);
            }
        }
        if exhausted || found.len() as u64 >= limit {
            break;
        }
    }
    found.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let (orders, next) = list.finish(found, &page, key);
    Ok(Response::new(pb::ListStoreOrdersResponse {
        orders: orders
            .iter()
            .map(|o| {
                let mut v = view(&ctx, o, false)?;
                if let Some(p) = v.pickup.as_mut() {
                    p.pickup_code.clear();
                }
                Ok(v)
            })
            .collect::<Result<_, AppError>>()?,
        page: Some(next),
    }))
}

#[tracing::instrument(skip_all)]
pub(super) async fn prepare(
    h: &Handlers,
    request: Request<pb::MarkOrderPreparingRequest>,
) -> R<pb::MarkOrderPreparingResponse> {
    let ctx = ctx(&request)?;
    let id = order_id(&request.get_ref().order_id)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let order = app.prepare_order(txn, &ctx, id).await?;
                Ok(pb::MarkOrderPreparingResponse {
                    order: Some(view(&ctx, &order, true)?),
                })
            })
        })
        .await
}

fn ship_input(
    carrier_code: &str,
    carrier_name: &str,
    tracking_no: &str,
) -> Result<ShipInput, AppError> {
    Ok(ShipInput {
        carrier_code: text("carrier_code", carrier_code, 32, true)?,
        carrier_name: text("carrier_name", carrier_name, 64, false)?,
        tracking_no: text("tracking_no", tracking_no, 64, false)?,
        ..ShipInput::default()
    })
}

#[tracing::instrument(skip_all)]
pub(super) async fn ship(
    h: &Handlers,
    request: Request<pb::ShipOrderRequest>,
) -> R<pb::ShipOrderResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let id = order_id(&req.order_id)?;
    let mut input = ship_input(&req.carrier_code, &req.carrier_name, &req.tracking_no)?;
    input.rider_name = text("rider_name", &req.rider_name, 30, false)?;
    input.rider_phone = text("rider_phone", &req.rider_phone, 20, false)?;
    // A parcel needs its tracking number; a same-city rider may have none.
    if input.tracking_no.is_empty() {
        let order = crate::repo::orders::get(&h.app.db, ctx.tenant, id, false)
            .await?
            .filter(|o| crate::app::orders::may_see(&ctx, o.user_id, o.store_id))
            .ok_or(AppError::OrderNotFound)?;
        if mode_of(&order)? == 1 {
            return Err(AppError::invalid("tracking_no", "required for DELIVERY").into());
        }
    }
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let order = app.ship_order(txn, &ctx, id, input).await?;
                Ok(pb::ShipOrderResponse {
                    order: Some(view(&ctx, &order, true)?),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all)]
pub(super) async fn ready_for_pickup(
    h: &Handlers,
    request: Request<pb::MarkOrderReadyForPickupRequest>,
) -> R<pb::MarkOrderReadyForPickupResponse> {
    let ctx = ctx(&request)?;
    let id = order_id(&request.get_ref().order_id)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let order = app.ready_for_pickup(txn, &ctx, id).await?;
                Ok(pb::MarkOrderReadyForPickupResponse {
                    order: Some(view(&ctx, &order, true)?),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all)]
pub(super) async fn verify_pickup(
    h: &Handlers,
    request: Request<pb::VerifyPickupCodeRequest>,
) -> R<pb::VerifyPickupCodeResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let store = id("store_id", &req.store_id)?;
    let code = req.pickup_code.trim().to_owned();
    if code.len() != 8 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::invalid("pickup_code", "must be 8 digits").into());
    }
    let named = (!req.order_id.is_empty())
        .then(|| order_id(&req.order_id))
        .transpose()?;
    if ctx.principal.kind == PrincipalKind::Staff
        && !crate::app::orders::staff_sees(&ctx, Some(store))
    {
        return Err(AppError::StoreOutOfScope(store).into());
    }
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let (order, already) = app.verify_pickup(txn, &ctx, store, &code, named).await?;
                Ok(pb::VerifyPickupCodeResponse {
                    order: Some(view(&ctx, &order, true)?),
                    already_verified: already,
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all)]
pub(super) async fn complete(
    h: &Handlers,
    request: Request<pb::CompleteOrderRequest>,
) -> R<pb::CompleteOrderResponse> {
    let ctx = ctx(&request)?;
    let id = order_id(&request.get_ref().order_id)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let order = app.complete_order(txn, &ctx, id).await?;
                Ok(pb::CompleteOrderResponse {
                    order: Some(view(&ctx, &order, true)?),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all)]
pub(super) async fn update_shipment(
    h: &Handlers,
    request: Request<pb::UpdateShipmentRequest>,
) -> R<pb::UpdateShipmentResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let id = order_id(&req.order_id)?;
    let input = ship_input(&req.carrier_code, &req.carrier_name, &req.tracking_no)?;
    let note = text("note", &req.note, 200, true)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let order = app.update_shipment(txn, &ctx, id, input, note).await?;
                Ok(pb::UpdateShipmentResponse {
                    order: Some(view(&ctx, &order, true)?),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all)]
pub(super) async fn staff_cancel(
    h: &Handlers,
    request: Request<pb::StaffCancelOrderRequest>,
) -> R<pb::StaffCancelOrderResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let id = order_id(&req.order_id)?;
    let reason = match pb::CancelReason::try_from(req.reason) {
        Ok(
            pb::CancelReason::Unspecified
            | pb::CancelReason::MemberRequested
            | pb::CancelReason::PaymentTimeout,
        )
        | Err(_) => {
            return Err(AppError::invalid("reason", "a staff reason is required").into());
        }
        Ok(r) => r,
    };
    let note = text("note", &req.note, 200, false)?;
    if reason == pb::CancelReason::Other && note.is_empty() {
        return Err(AppError::invalid("note", "required for reason OTHER").into());
    }
    let order = crate::repo::orders::get(&h.app.db, ctx.tenant, id, false)
        .await?
        .filter(|o| crate::app::orders::may_see(&ctx, o.user_id, o.store_id))
        .ok_or(AppError::OrderNotFound)?;
    let paid = match order.status {
        OrderStatus::PendingPayment | OrderStatus::Cancelled => false,
        OrderStatus::Paid | OrderStatus::Preparing | OrderStatus::ReadyForPickup => true,
        from => return Err(AppError::IllegalTransition { from }.into()),
    };
    let actor = Actor::of(&ctx);
    let cancellation = Cancellation {
        reason: i16::try_from(reason as i32).unwrap_or_default(),
        note,
        actor: actor.kind.number(),
        actor_id: actor.id,
        at_ms: h.app.now_ms(),
        refund_id: String::new(),
    };
    let app = h.app.clone();
    if paid {
        // A full refund through a system after-sale case, in one transaction; its refund runs
        // after the commit.
        let tenant = ctx.tenant;
        let answer = h
            .mutations
            .mutate(&request, move |txn| {
                Box::pin(async move {
                    let order = app.cancel_paid(txn, &ctx, id, cancellation).await?;
                    Ok(pb::StaffCancelOrderResponse {
                        order: Some(view(&ctx, &order, true)?),
                    })
                })
            })
            .await?;
        let refund = answer
            .get_ref()
            .order
            .as_ref()
            .and_then(|o| o.cancellation.as_ref())
            .and_then(|c| c.refund_id.parse().ok());
        if let Some(refund) = refund {
            h.app.kick_refund(tenant, refund);
        }
        return Ok(answer);
    }
    // cancel_unpaid closes the PSP attempts before its own transaction, so it runs outside
    // `mutate`; cancelling a cancelled order answers it unchanged, which makes a retry safe.
    let cancelled = app.cancel_unpaid(ctx.tenant, id, cancellation).await?;
    Ok(Response::new(pb::StaffCancelOrderResponse {
        order: Some(view(&ctx, &cancelled, true)?),
    }))
}

/// Shipment and pickup details in the contract's terms, laid over the order's snapshot.
pub(super) fn fulfilment_pb(order: &Order, o: &mut pb::Order) {
    if let Some(s) = &order.fulfilment.shipment {
        o.shipment = Some(pb::Shipment {
            carrier_code: s.carrier_code.clone(),
            carrier_name: s.carrier_name.clone(),
            tracking_no: s.tracking_no.clone(),
            rider_name: s.rider_name.clone(),
            rider_phone: s.rider_phone.clone(),
            shipped_at: Some(timestamp_ms(s.shipped_at_ms)),
            shipped_by_staff_id: s.shipped_by.clone(),
        });
    }
    if let Some(p) = &order.fulfilment.pickup {
        o.pickup = Some(pb::Pickup {
            pickup_code: order.pickup_code.clone().unwrap_or_default(),
            ready_at: Some(timestamp_ms(p.ready_at_ms)),
            hold_until: Some(timestamp_ms(p.hold_until_ms)),
            picked_up_at: p.picked_up_at_ms.map(timestamp_ms),
            verified_by_staff_id: p.verified_by.clone(),
        });
    }
}
