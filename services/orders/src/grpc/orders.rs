//! OrderService on the wire: GetOrder, GetOrderByNo, ListMyOrders; and the one conversion of a
//! stored order into the contract's `Order` (the priced snapshot with the columns that change
//! laid over it, the lines with their refund counters, the timeline).

use prost::Message as _;
use siyu_core::Ctx;
use siyu_proto::common::v1 as common;
use siyu_proto::orders::v1 as pb;
use siyu_proto::time::timestamp_ms;
use siyu_server::Paging;
use tonic::{Request, Response};
use uuid::Uuid;

use super::{Handlers, R, ctx};
use crate::AppError;
use crate::app::orders::model::{ActorKind, Cancellation, Order, cancel_reason};
use crate::app::orders::status::OrderStatus;

const LIST: Paging = Paging::new("orders", 20, 200);

fn cny(fen: i64) -> Option<common::Money> {
    Some(common::Money {
        minor_units: fen,
        currency_code: "CNY".into(),
    })
}

fn status_pb(s: OrderStatus) -> i32 {
    i32::from(s.number())
}

/// The contract's `Order` for a stored order; `with_timeline` adds the timeline.
pub fn to_pb(order: &Order, with_timeline: bool) -> Result<pb::Order, AppError> {
    let mut o = pb::Order::decode(order.snapshot.as_slice())
        .map_err(|e| AppError::Internal(format!("order snapshot: {e}")))?;
    o.order_id = order.id.to_string();
    o.order_no.clone_from(&order.order_no);
    o.user_id = order.user_id.to_string();
    o.member_id = order.member_id.map(|m| m.to_string()).unwrap_or_default();
    o.store_id = order.store_id.map(|s| s.to_string()).unwrap_or_default();
    o.status = status_pb(order.status);
    o.after_sale_state = i32::from(order.after_sale_state);
    o.kind = i32::from(order.kind.number());
    o.paid_amount = cny(order.paid_fen);
    o.refunded_amount = cny(order.refunded_fen);
    o.payment_deadline = order.payment_deadline_ms.map(timestamp_ms);
    o.paid_at = order.paid_at_ms.map(timestamp_ms);
    o.auto_complete_at = order.auto_complete_at_ms.map(timestamp_ms);
    o.completed_at = order.completed_at_ms.map(timestamp_ms);
    o.after_sale_deadline = order.after_sale_deadline_ms.map(timestamp_ms);
    o.settled_at = order.settled_at_ms.map(timestamp_ms);
    o.created_at = Some(timestamp_ms(order.created_at_ms));
    o.updated_at = Some(timestamp_ms(order.updated_at_ms));
    o.cancellation = order.cancellation.as_ref().map(|c| pb::Cancellation {
        reason: i32::from(c.reason),
        note: c.note.clone(),
        actor_kind: i32::from(c.actor),
        actor_id: c.actor_id.clone(),
        cancelled_at: Some(timestamp_ms(c.at_ms)),
        refund_id: c.refund_id.clone(),
    });
    if let Some(code) = &order.pickup_code {
        o.pickup
            .get_or_insert_with(Default::default)
            .pickup_code
            .clone_from(code);
    }
    super::fulfilment::fulfilment_pb(order, &mut o);
    o.lines = order
        .lines
        .iter()
        .map(|l| {
            Ok(pb::OrderLine {
                line_id: l.id.to_string(),
                priced: Some(
                    pb::PricedLine::decode(l.priced.as_slice())
                        .map_err(|e| AppError::Internal(format!("line snapshot: {e}")))?,
                ),
                location_id: l.location_id.clone(),
                refunded_quantity: l.refunded_quantity,
                in_after_sale_quantity: l.in_after_sale_quantity,
                refunded_amount: cny(l.refunded_fen),
                refunded_points: l.refunded_points,
            })
        })
        .collect::<Result<_, AppError>>()?;
    o.timeline = if with_timeline {
        order
            .timeline
            .iter()
            .map(|t| pb::TimelineEntry {
                kind: i32::from(t.kind),
                from_status: status_pb(t.from),
                to_status: status_pb(t.to),
                actor_kind: i32::from(t.actor.number()),
                actor_id: t.actor_id.clone(),
                reference_id: t.reference_id.clone(),
                note: t.note.clone(),
                occurred_at: Some(timestamp_ms(t.occurred_at_ms)),
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(o)
}

pub(super) fn order_id(value: &str) -> Result<Uuid, AppError> {
    if value.is_empty() {
        return Err(AppError::invalid("order_id", "required"));
    }
    Uuid::parse_str(value).map_err(|_| AppError::invalid("order_id", "must be a UUID"))
}

/// The order as `ctx` may see it, else ORDER_NOT_FOUND.
fn visible(ctx: &Ctx, order: Option<Order>) -> Result<Order, AppError> {
    order
        .filter(|o| crate::app::orders::may_see(ctx, o.user_id, o.store_id))
        .ok_or(AppError::OrderNotFound)
}

#[tracing::instrument(skip_all)]
pub(super) async fn get(
    h: &Handlers,
    request: Request<pb::GetOrderRequest>,
) -> R<pb::GetOrderResponse> {
    let ctx = ctx(&request)?;
    let id = order_id(&request.get_ref().order_id)?;
    let order = visible(
        &ctx,
        crate::repo::orders::get(&h.app.db, ctx.tenant, id, false).await?,
    )?;
    Ok(Response::new(pb::GetOrderResponse {
        order: Some(super::fulfilment::view(&ctx, &order, true)?),
    }))
}

#[tracing::instrument(skip_all)]
pub(super) async fn get_by_no(
    h: &Handlers,
    request: Request<pb::GetOrderByNoRequest>,
) -> R<pb::GetOrderByNoResponse> {
    let ctx = ctx(&request)?;
    let no = &request.get_ref().order_no;
    if no.len() != 20 || !no.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::invalid("order_no", "must be 20 digits").into());
    }
    let order = visible(
        &ctx,
        crate::repo::orders::get_by_no(&h.app.db, ctx.tenant, no).await?,
    )?;
    Ok(Response::new(pb::GetOrderByNoResponse {
        order: Some(super::fulfilment::view(&ctx, &order, true)?),
    }))
}

#[tracing::instrument(skip_all)]
pub(super) async fn list_mine(
    h: &Handlers,
    request: Request<pb::ListMyOrdersRequest>,
) -> R<pb::ListMyOrdersResponse> {
    let ctx = ctx(&request)?;
    let user = crate::app::carts::consumer(&ctx)?;
    let req = request.get_ref();
    let mut statuses = Vec::new();
    for (i, n) in req.statuses.iter().enumerate() {
        let s = i16::try_from(*n)
            .ok()
            .and_then(|n| OrderStatus::try_from(n).ok())
            .ok_or_else(|| AppError::invalid(format!("statuses[{i}]"), "unknown status"))?;
        statuses.push(s);
    }
    for (i, n) in req.after_sale_states.iter().enumerate() {
        if !(1..=5).contains(n) {
            return Err(
                AppError::invalid(format!("after_sale_states[{i}]"), "unknown state").into(),
            );
        }
    }
    let page = super::page_of::<(i64, Uuid)>(&LIST, req.page.as_ref())?;
    let orders = crate::repo::orders::list_by_user(
        &h.app.db,
        ctx.tenant,
        user,
        &statuses,
        &req.after_sale_states
            .iter()
            .filter_map(|n| i16::try_from(*n).ok())
            .collect::<Vec<_>>(),
        page.after,
        page.fetch_limit(),
    )
    .await?;
    let (orders, next) = LIST.finish(orders, &page, |o| (o.created_at_ms, o.id));
    Ok(Response::new(pb::ListMyOrdersResponse {
        orders: orders
            .iter()
            .map(|o| to_pb(o, false))
            .collect::<Result<_, _>>()?,
        page: Some(next),
    }))
}

#[tracing::instrument(skip_all)]
pub(super) async fn cancel(
    h: &Handlers,
    request: Request<pb::CancelOrderRequest>,
) -> R<pb::CancelOrderResponse> {
    let ctx = ctx(&request)?;
    let user = crate::app::carts::consumer(&ctx)?;
    let req = request.get_ref();
    let id = order_id(&req.order_id)?;
    if req.note.chars().count() > 200 {
        return Err(AppError::invalid("note", "at most 200 characters").into());
    }
    let order = visible(
        &ctx,
        crate::repo::orders::get(&h.app.db, ctx.tenant, id, false).await?,
    )?;
    let cancelled = h
        .app
        .cancel_unpaid(
            ctx.tenant,
            order.id,
            Cancellation {
                reason: cancel_reason::MEMBER_REQUESTED,
                note: req.note.clone(),
                actor: ActorKind::Member.number(),
                actor_id: user.to_string(),
                at_ms: h.app.now_ms(),
                refund_id: String::new(),
            },
        )
        .await?;
    Ok(Response::new(pb::CancelOrderResponse {
        order: Some(to_pb(&cancelled, true)?),
    }))
}
