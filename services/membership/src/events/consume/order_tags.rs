//! Orders' events as the system tags read them (`app::tags::retag`): OrderPaid marks the order
//! paid with its amount and time, OrderRefunded adds what was refunded so far; each retags the
//! member. Goods orders of members only (other kinds are not purchases of goods; late or
//! duplicate payment refunds were never sales). OrderCreated (not yet a purchase), OrderSettled
//! and OrderCompleted (no change to what was paid or refunded) add nothing here.

use sea_orm::DatabaseTransaction;
use siyu_proto::common::v1::Money;
use siyu_proto::events::v1 as ev;
use uuid::Uuid;

use super::Incoming;
use crate::AppError;
use crate::app::App;
use crate::app::domain::MemberId;
use crate::app::tags::retag::OrderFacts;

fn fen(m: Option<&Money>) -> i64 {
    m.map_or(0, |m| m.minor_units.max(0))
}

fn ms(t: Option<&prost_types::Timestamp>) -> Option<i64> {
    t.map(|t| t.seconds * 1000 + i64::from(t.nanos) / 1_000_000)
        .filter(|ms| *ms > 0)
}

/// The facts of a goods order's snapshot of a member; `None` (logged) otherwise.
fn facts(e: &Incoming, o: Option<&ev::OrderSnapshot>) -> Option<OrderFacts> {
    let o = o?;
    if o.kind != ev::OrderKind::Goods as i32 {
        return None;
    }
    let (Ok(order_id), Ok(member_id)) =
        (Uuid::parse_str(&o.order_id), Uuid::parse_str(&o.member_id))
    else {
        tracing::info!(event_id = %e.event_id, "order event without usable order or member id skipped by tags");
        return None;
    };
    let amounts = o.amounts.as_ref();
    let lines: i64 = o
        .lines
        .iter()
        .map(|l| fen(l.cash_amount.as_ref()) + fen(l.stored_value_amount.as_ref()))
        .sum();
    Some(OrderFacts {
        order_id,
        member_id: MemberId(member_id),
        paid_at_ms: None,
        paid_amount: amounts
            .map(|a| fen(a.paid_amount.as_ref()))
            .filter(|p| *p > 0)
            .unwrap_or(lines),
        refunded_amount: amounts.map_or(0, |a| fen(a.refunded_amount.as_ref())),
        fully_refunded: false,
    })
}

/// OrderPaid → the order counts as a purchase.
pub async fn paid(app: &App, txn: &DatabaseTransaction, e: &Incoming) -> Result<(), AppError> {
    let Some(p) = e.decode::<ev::OrderPaid>() else {
        return Ok(());
    };
    let Some(mut f) = facts(e, p.order.as_ref()) else {
        return Ok(());
    };
    f.paid_at_ms = ms(p.paid_at.as_ref())
        .or_else(|| ms(p.order.as_ref().and_then(|o| o.paid_at.as_ref())))
        .or(Some(e.occurred_at_ms).filter(|t| *t > 0))
        .or(Some(app.now_ms()));
    let changed = app.record_order_for_tags(txn, &e.ctx("orders"), &f).await?;
    tracing::info!(order_id = %f.order_id, changed, "purchase tags: order paid");
    Ok(())
}

/// OrderRefunded → what was refunded so far; a full refund stops the order counting.
pub async fn refunded(app: &App, txn: &DatabaseTransaction, e: &Incoming) -> Result<(), AppError> {
    let Some(r) = e.decode::<ev::OrderRefunded>() else {
        return Ok(());
    };
    if r.late_payment {
        return Ok(());
    }
    let Some(mut f) = facts(e, r.order.as_ref()) else {
        return Ok(());
    };
    f.fully_refunded = r.full_refund;
    let changed = app.record_order_for_tags(txn, &e.ctx("orders"), &f).await?;
    tracing::info!(order_id = %f.order_id, changed, "purchase tags: order refunded");
    Ok(())
}
