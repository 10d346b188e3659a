//! After-sales and refund events: AfterSaleOpened when a case is opened, OrderRefunded when its
//! refund succeeded, AfterSaleClosed when it ends (refunded, rejected or withdrawn) — written by
//! the transactions that make them true.

use prost::Message;
use sea_orm::ConnectionTrait;
use siyu_core::TenantId;
use siyu_proto::events::v1 as ev;
use siyu_proto::orders::v1 as pb;
use siyu_proto::time::timestamp_ms;

use super::publish::{cny, snapshot, write};
use crate::AppError;
use crate::app::after_sales::model::{Case, Kind};
use crate::app::orders::model::Order;
use crate::app::refunds::model::Refund;

/// Bus subject of AfterSaleOpened.
pub const AFTER_SALE_OPENED: &str = "orders.after_sale_opened";
/// Bus subject of OrderRefunded.
pub const ORDER_REFUNDED: &str = "orders.order_refunded";
/// Bus subject of AfterSaleClosed.
pub const AFTER_SALE_CLOSED: &str = "orders.after_sale_closed";

fn opt_id<T: ToString>(id: Option<T>) -> String {
    id.map(|i| i.to_string()).unwrap_or_default()
}

fn enum_name(name: &str, prefix: &str) -> String {
    name.strip_prefix(prefix).unwrap_or(name).to_owned()
}

/// AfterSaleOpened for a case just opened.
pub async fn after_sale_opened(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order: &Order,
    case: &Case,
    auto_approved: bool,
) -> Result<(), AppError> {
    let kind = match case.kind {
        Kind::RefundOnly => pb::AfterSaleKind::RefundOnly,
        Kind::ReturnAndRefund => pb::AfterSaleKind::ReturnAndRefund,
    };
    let reason = pb::AfterSaleReason::try_from(i32::from(case.reason))
        .map_or("UNSPECIFIED".to_owned(), |r| {
            enum_name(r.as_str_name(), "AFTER_SALE_REASON_")
        });
    let msg = ev::AfterSaleOpened {
        after_sale_id: case.id.to_string(),
        after_sale_no: case.after_sale_no.clone(),
        order_id: order.id.to_string(),
        order_no: order.order_no.clone(),
        user_id: order.user_id.to_string(),
        member_id: opt_id(order.member_id),
        store_id: opt_id(order.store_id),
        kind: enum_name(kind.as_str_name(), "AFTER_SALE_KIND_"),
        reason,
        lines: case
            .lines
            .iter()
            .map(|l| ev::AfterSaleEventLine {
                order_line_id: l.order_line_id.to_string(),
                sku_id: opt_id(
                    order
                        .lines
                        .iter()
                        .find(|o| o.id == l.order_line_id)
                        .and_then(|o| o.sku_id),
                ),
                quantity: l.quantity,
                refund_amount: cny(l.cash_fen + l.stored_value_fen),
                points: l.points,
            })
            .collect(),
        refund_amount: cny(case.refund_fen),
        refund_points: case.refund_points,
        full_refund: case.full_refund,
        auto_approved,
        opened_by: match case.opened_by_kind {
            1 => "member".to_owned(),
            2 => format!("staff:{}", case.opened_by_id),
            _ => "system".to_owned(),
        },
        opened_at: Some(timestamp_ms(case.created_at_ms)),
    };
    let type_name = "siyu.events.v1.AfterSaleOpened";
    write(
        conn,
        tenant,
        AFTER_SALE_OPENED,
        type_name,
        order,
        case.created_at_ms,
        msg.encode_to_vec(),
    )
    .await
}

/// OrderRefunded for a refund that just succeeded; `order` as it is after the refund.
pub async fn order_refunded(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order: &Order,
    refund: &Refund,
    case: Option<&Case>,
    at_ms: i64,
) -> Result<(), AppError> {
    let restock = case.is_some_and(|c| c.extra.restock);
    let lines = case
        .map(|c| {
            c.lines
                .iter()
                .map(|l| {
                    let line = order.lines.iter().find(|o| o.id == l.order_line_id);
                    let priced = line
                        .and_then(|o| pb::PricedLine::decode(o.priced.as_slice()).ok())
                        .unwrap_or_default();
                    // The points deduction of these units, in the proportion of their points.
                    let deduction = priced
                        .points_deduction
                        .as_ref()
                        .map_or(0, |m| m.minor_units);
                    let deduction = if priced.points_used > 0 {
                        i64::try_from(
                            i128::from(deduction) * i128::from(l.points)
                                / i128::from(priced.points_used),
                        )
                        .unwrap_or(0)
                    } else {
                        0
                    };
                    ev::OrderRefundedLine {
                        order_line_id: l.order_line_id.to_string(),
                        sku_id: priced.sku_id.clone(),
                        product_id: priced.product_id.clone(),
                        category_ids: priced.category_ids.clone(),
                        quantity: l.quantity,
                        net_amount: cny(l.cash_fen + l.stored_value_fen + deduction),
                        cash_amount: cny(l.cash_fen),
                        stored_value_amount: cny(l.stored_value_fen),
                        points_restored: l.points,
                        restock,
                        location_id: line.map(|o| o.location_id.clone()).unwrap_or_default(),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let reason = siyu_proto::payments::v1::RefundReason::try_from(i32::from(refund.reason))
        .map_or("AFTER_SALE".to_owned(), |r| {
            enum_name(r.as_str_name(), "REFUND_REASON_")
        });
    let coupons_restored = refund
        .steps
        .iter()
        .any(|s| s.kind == 3 && s.status == crate::app::refunds::step::DONE);
    let msg = ev::OrderRefunded {
        order: Some(snapshot(order)?),
        refund_id: refund.id.to_string(),
        after_sale_id: opt_id(refund.after_sale_id),
        reason,
        lines,
        amount: cny(refund.cash_fen + refund.stored_value_fen),
        cash_amount: cny(refund.cash_fen),
        stored_value_amount: cny(refund.stored_value_fen),
        shipping_amount: cny(refund.shipping_fen),
        points_restored: refund.points,
        coupon_ids_restored: if coupons_restored {
            snapshot(order)?.coupon_ids
        } else {
            Vec::new()
        },
        full_refund: refund.full_refund,
        restock,
        late_payment: matches!(
            refund.reason,
            crate::app::payments::late::refund_reason::LATE_PAYMENT
                | crate::app::payments::late::refund_reason::DUPLICATE_PAYMENT
        ),
        refunded_at: Some(timestamp_ms(at_ms)),
    };
    let type_name = "siyu.events.v1.OrderRefunded";
    write(
        conn,
        tenant,
        ORDER_REFUNDED,
        type_name,
        order,
        at_ms,
        msg.encode_to_vec(),
    )
    .await
}

/// AfterSaleClosed for a case that just ended: REFUNDED with its `refund`, or rejected or
/// withdrawn (`outcome` an `AfterSaleOutcome`).
#[allow(clippy::too_many_arguments)]
pub async fn after_sale_closed(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order: &Order,
    case: &Case,
    outcome: ev::AfterSaleOutcome,
    refund: Option<&Refund>,
    open_case_count: i32,
    at_ms: i64,
) -> Result<(), AppError> {
    let msg = ev::AfterSaleClosed {
        after_sale_id: case.id.to_string(),
        after_sale_no: case.after_sale_no.clone(),
        order_id: order.id.to_string(),
        order_no: order.order_no.clone(),
        user_id: order.user_id.to_string(),
        member_id: opt_id(order.member_id),
        store_id: opt_id(order.store_id),
        outcome: outcome as i32,
        refund_id: opt_id(refund.map(|r| r.id)),
        refund_amount: refund.and_then(|r| cny(r.cash_fen + r.stored_value_fen)),
        refund_points: refund.map_or(0, |r| r.points),
        open_case_count,
        closed_at: Some(timestamp_ms(at_ms)),
    };
    let type_name = "siyu.events.v1.AfterSaleClosed";
    write(
        conn,
        tenant,
        AFTER_SALE_CLOSED,
        type_name,
        order,
        at_ms,
        msg.encode_to_vec(),
    )
    .await
}
