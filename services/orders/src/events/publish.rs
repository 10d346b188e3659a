//! Writes orders' events to the outbox as `EventEnvelope`s with the payload as `Any`, on the
//! bus subject `orders.<event>`; `subject_id` is the order id, so an order's events are
//! published in the order written. Every event carries the order's snapshot: lines with their
//! per-line allocations, amounts and attribution — what membership earns on, catalog confirms
//! and content reports.

use prost::Message;
use sea_orm::ConnectionTrait;
use siyu_core::TenantId;
use siyu_proto::common::v1::Money;
use siyu_proto::events::v1 as ev;
use siyu_proto::time::timestamp_ms;
use siyu_store::OutgoingEvent;
use siyu_store::outbox::{TraceContext, enqueue};

use crate::AppError;
use crate::app::orders::fulfilment::{Pickup, Shipment};
use crate::app::orders::model::Order;

/// Bus subject of OrderCreated.
pub const ORDER_CREATED: &str = "orders.order_created";
/// Bus subject of OrderPaid.
pub const ORDER_PAID: &str = "orders.order_paid";
/// Bus subject of OrderCancelled.
pub const ORDER_CANCELLED: &str = "orders.order_cancelled";
/// Bus subject of OrderShipped.
pub const ORDER_SHIPPED: &str = "orders.order_shipped";
/// Bus subject of OrderReadyForPickup.
pub const ORDER_READY_FOR_PICKUP: &str = "orders.order_ready_for_pickup";
/// Bus subject of OrderCompleted.
pub const ORDER_COMPLETED: &str = "orders.order_completed";
/// Bus subject of OrderSettled.
pub const ORDER_SETTLED: &str = "orders.order_settled";

pub(crate) fn cny(fen: i64) -> Option<Money> {
    Some(Money {
        minor_units: fen,
        currency_code: "CNY".into(),
    })
}

fn fen(m: Option<&Money>) -> i64 {
    m.map_or(0, |m| m.minor_units)
}

/// The event snapshot of an order.
pub fn snapshot(order: &Order) -> Result<ev::OrderSnapshot, AppError> {
    let o = crate::grpc::orders::to_pb(order, false)?;
    let amounts = o.amounts.clone().unwrap_or_default();
    let coupon = siyu_proto::orders::v1::AdjustmentKind::Coupon as i32;
    let lines = o
        .lines
        .iter()
        .map(|l| {
            let p = l.priced.clone().unwrap_or_default();
            let discount = fen(p.promotion_discount.as_ref()) + fen(p.coupon_discount.as_ref());
            ev::OrderEventLine {
                order_line_id: l.line_id.clone(),
                sku_id: p.sku_id.clone(),
                product_id: p.product_id.clone(),
                title: p.title.clone(),
                category_ids: p.category_ids.clone(),
                quantity: p.quantity,
                unit_price: p.unit_price.clone(),
                subtotal: p.subtotal.clone(),
                discount_amount: cny(discount),
                net_amount: p.net_amount.clone(),
                points_deduction: p.points_deduction.clone(),
                points_used: p.points_used,
                stored_value_amount: p.stored_value_amount.clone(),
                cash_amount: p.cash_amount.clone(),
                location_id: l.location_id.clone(),
                refunded_quantity: l.refunded_quantity,
                refunded_amount: l.refunded_amount.clone(),
                coupon_allocations: p
                    .allocations
                    .iter()
                    .filter(|a| a.kind == coupon)
                    .map(|a| ev::OrderEventCouponAllocation {
                        coupon_id: a.source_id.clone(),
                        template_id: String::new(),
                        amount: a.amount.clone(),
                    })
                    .collect(),
                plan_id: p.plan_id.clone(),
            }
        })
        .collect();
    Ok(ev::OrderSnapshot {
        order_id: o.order_id,
        order_no: o.order_no,
        user_id: o.user_id,
        member_id: o.member_id,
        tier_code: o.tier_code,
        store_id: o.store_id,
        fulfilment: o.fulfilment.map_or(0, |f| f.mode),
        attribution: o.attribution,
        lines,
        amounts: Some(ev::OrderEventAmounts {
            goods_list_total: amounts.goods_list_total,
            goods_total: amounts.goods_total,
            promotion_discount: amounts.promotion_discount,
            coupon_discount: amounts.coupon_discount,
            goods_net_total: amounts.goods_net_total,
            points_deduction: amounts.points_deduction,
            points_used: amounts.points_used,
            stored_value_amount: amounts.stored_value_amount,
            shipping_fee: amounts.shipping_fee,
            shipping_discount: amounts.shipping_discount,
            payable: amounts.payable,
            paid_amount: cny(order.paid_fen),
            refunded_amount: cny(order.refunded_fen),
        }),
        coupon_ids: o.coupon_ids,
        created_at: o.created_at,
        paid_at: o.paid_at,
        kind: i32::from(order.kind.number()),
        shipping_coupon_allocations: Vec::new(),
    })
}

/// Writes one event of `order` (`type_name` its proto name) to the outbox on `subject`.
pub(crate) async fn write(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    subject: &str,
    type_name: &str,
    order: &Order,
    at_ms: i64,
    payload: Vec<u8>,
) -> Result<(), AppError> {
    let occurred_at = chrono::DateTime::from_timestamp_millis(at_ms)
        .ok_or_else(|| AppError::Internal("event time out of range".into()))?;
    let envelope = ev::EventEnvelope {
        id: siyu_core::id::new_string(),
        tenant_id: tenant.to_string(),
        r#type: type_name.to_owned(),
        occurred_at: Some(timestamp_ms(at_ms)),
        source: "orders".into(),
        subject_id: order.id.to_string(),
        traceparent: String::new(),
        tracestate: String::new(),
        payload: Some(prost_types::Any {
            type_url: format!("type.googleapis.com/{type_name}"),
            value: payload,
        }),
    };
    enqueue(
        conn,
        OutgoingEvent {
            tenant: Some(tenant),
            event_type: subject.to_owned(),
            subject: subject.to_owned(),
            source: "orders".into(),
            occurred_at,
            trace: TraceContext::default(),
            payload: envelope.encode_to_vec(),
        },
    )
    .await?;
    Ok(())
}

/// OrderCreated for an order just placed.
pub async fn order_created(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order: &Order,
) -> Result<(), AppError> {
    let msg = ev::OrderCreated {
        order: Some(snapshot(order)?),
        payment_deadline: order.payment_deadline_ms.map(timestamp_ms),
    };
    write(
        conn,
        tenant,
        ORDER_CREATED,
        "siyu.events.v1.OrderCreated",
        order,
        order.created_at_ms,
        msg.encode_to_vec(),
    )
    .await
}

/// OrderPaid for an order just paid by `payment_id` (`provider` the event's provider number).
pub async fn order_paid(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order: &Order,
    payment_id: &str,
    provider: i32,
    psp_transaction_id: &str,
    revived: bool,
) -> Result<(), AppError> {
    let at = order.paid_at_ms.unwrap_or(order.updated_at_ms);
    let msg = ev::OrderPaid {
        order: Some(snapshot(order)?),
        payment_id: payment_id.to_owned(),
        provider,
        psp_transaction_id: psp_transaction_id.to_owned(),
        paid_at: Some(timestamp_ms(at)),
        revived,
    };
    write(
        conn,
        tenant,
        ORDER_PAID,
        "siyu.events.v1.OrderPaid",
        order,
        at,
        msg.encode_to_vec(),
    )
    .await
}

/// OrderCancelled for an order just cancelled (its `cancellation` set).
pub async fn order_cancelled(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order: &Order,
) -> Result<(), AppError> {
    let c = order
        .cancellation
        .as_ref()
        .ok_or_else(|| AppError::Internal("cancelled order without cancellation".into()))?;
    let by = match c.actor {
        1 => ev::OrderCancelledBy::Member,
        2 => ev::OrderCancelledBy::Staff,
        3 => ev::OrderCancelledBy::Partner,
        _ => ev::OrderCancelledBy::Timeout,
    };
    let reason = siyu_proto::orders::v1::CancelReason::try_from(i32::from(c.reason))
        .map(|r| {
            r.as_str_name()
                .trim_start_matches("CANCEL_REASON_")
                .to_owned()
        })
        .unwrap_or_default();
    let msg = ev::OrderCancelled {
        order: Some(snapshot(order)?),
        cancelled_by: by as i32,
        actor_id: c.actor_id.clone(),
        reason,
        note: c.note.clone(),
        was_paid: order.paid_fen > 0,
        refund_id: c.refund_id.clone(),
        cancelled_at: Some(timestamp_ms(c.at_ms)),
    };
    write(
        conn,
        tenant,
        ORDER_CANCELLED,
        "siyu.events.v1.OrderCancelled",
        order,
        c.at_ms,
        msg.encode_to_vec(),
    )
    .await
}

/// OrderShipped for an order just shipped (or its shipment corrected: `correction`).
pub async fn order_shipped(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order: &Order,
    shipment: &Shipment,
    correction: bool,
) -> Result<(), AppError> {
    let msg = ev::OrderShipped {
        order: Some(snapshot(order)?),
        carrier_code: shipment.carrier_code.clone(),
        carrier_name: shipment.carrier_name.clone(),
        tracking_no: shipment.tracking_no.clone(),
        shipped_at: Some(timestamp_ms(shipment.shipped_at_ms)),
        auto_complete_at: order.auto_complete_at_ms.map(timestamp_ms),
        correction,
    };
    let type_name = "siyu.events.v1.OrderShipped";
    let at = order.updated_at_ms;
    write(
        conn,
        tenant,
        ORDER_SHIPPED,
        type_name,
        order,
        at,
        msg.encode_to_vec(),
    )
    .await
}

/// OrderReadyForPickup for a pickup order just made ready with `code`.
pub async fn order_ready_for_pickup(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order: &Order,
    code: &str,
    pickup: &Pickup,
) -> Result<(), AppError> {
    let msg = ev::OrderReadyForPickup {
        order: Some(snapshot(order)?),
        pickup_store_id: order.store_id.map(|s| s.to_string()).unwrap_or_default(),
        pickup_code: code.to_owned(),
        ready_at: Some(timestamp_ms(pickup.ready_at_ms)),
        hold_until: Some(timestamp_ms(pickup.hold_until_ms)),
    };
    let type_name = "siyu.events.v1.OrderReadyForPickup";
    let at = pickup.ready_at_ms;
    write(
        conn,
        tenant,
        ORDER_READY_FOR_PICKUP,
        type_name,
        order,
        at,
        msg.encode_to_vec(),
    )
    .await
}

/// OrderCompleted for an order just completed (`completed_by` the event's enum number).
pub async fn order_completed(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order: &Order,
    completed_by: i32,
) -> Result<(), AppError> {
    let at = order.completed_at_ms.unwrap_or(order.updated_at_ms);
    let msg = ev::OrderCompleted {
        order: Some(snapshot(order)?),
        completed_by,
        completed_at: Some(timestamp_ms(at)),
        after_sale_deadline: order.after_sale_deadline_ms.map(timestamp_ms),
    };
    let type_name = "siyu.events.v1.OrderCompleted";
    write(
        conn,
        tenant,
        ORDER_COMPLETED,
        type_name,
        order,
        at,
        msg.encode_to_vec(),
    )
    .await
}

/// OrderSettled for an order just settled.
pub async fn order_settled(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order: &Order,
) -> Result<(), AppError> {
    let at = order.settled_at_ms.unwrap_or(order.updated_at_ms);
    let msg = ev::OrderSettled {
        order: Some(snapshot(order)?),
        after_sale_deadline: order.after_sale_deadline_ms.map(timestamp_ms),
        settled_at: Some(timestamp_ms(at)),
        fully_refunded: order.paid_fen > 0 && order.refunded_fen >= order.paid_fen,
    };
    let type_name = "siyu.events.v1.OrderSettled";
    write(
        conn,
        tenant,
        ORDER_SETTLED,
        type_name,
        order,
        at,
        msg.encode_to_vec(),
    )
    .await
}
