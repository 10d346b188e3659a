//! Orders' events as the ledger reads them: OrderPaid earns (`app::ledger::order_earning`),
//! OrderRefunded takes back (`order_reversals`), OrderSettled credits completion-credited
//! points (`order_settlement`), OrderCancelled releases holds (`order_cancellation`). Goods
//! orders of members only: other kinds earn nothing (orders applies them by RPC), and a
//! non-member order or an unusable id is skipped with a log line.

use sea_orm::DatabaseTransaction;
use siyu_proto::events::v1 as ev;
use uuid::Uuid;

use super::Incoming;
use crate::AppError;
use crate::app::App;
use crate::app::domain::{BaseLine, MemberId};
use crate::app::ledger::order_earning::PaidOrder;
use crate::app::ledger::order_settlement::{SettledLine, SettledOrder};

fn fen(m: Option<&siyu_proto::common::v1::Money>) -> i64 {
    m.map_or(0, |m| m.minor_units)
}

fn categories(ids: &[String]) -> Vec<Uuid> {
    ids.iter().filter_map(|c| Uuid::parse_str(c).ok()).collect()
}

/// The order and member of a goods order's snapshot; `None` (logged) otherwise.
fn goods_order(e: &Incoming, o: Option<&ev::OrderSnapshot>) -> Option<(Uuid, MemberId)> {
    let o = o?;
    if o.kind != ev::OrderKind::Goods as i32 {
        return None;
    }
    let ids = Uuid::parse_str(&o.order_id)
        .ok()
        .zip(Uuid::parse_str(&o.member_id).ok());
    if ids.is_none() {
        tracing::info!(event_id = %e.event_id, "order event without usable order or member id skipped");
    }
    ids.map(|(o, m)| (o, MemberId(m)))
}

fn paid_line(l: &ev::OrderEventLine) -> BaseLine {
    BaseLine {
        category_ids: categories(&l.category_ids),
        cash: fen(l.cash_amount.as_ref()),
        stored_value: fen(l.stored_value_amount.as_ref()),
    }
}

/// OrderPaid → points (rules crediting at payment) and growth, then refunds already known.
pub async fn paid(app: &App, txn: &DatabaseTransaction, e: &Incoming) -> Result<(), AppError> {
    let Some(paid) = e.decode::<ev::OrderPaid>() else {
        return Ok(());
    };
    let Some((order_id, member_id)) = goods_order(e, paid.order.as_ref()) else {
        return Ok(());
    };
    let lines = paid
        .order
        .iter()
        .flat_map(|o| o.lines.iter().map(paid_line))
        .collect();
    let order = PaidOrder {
        order_id,
        member_id,
        lines,
    };
    let done = app.earn_for_order(txn, &e.ctx("orders"), &order).await?;
    tracing::info!(%order_id, points = done.points, growth = done.growth, "order earning applied");
    Ok(())
}

/// OrderRefunded → points and growth taken back on the refunded lines' earning base.
pub async fn refunded(app: &App, txn: &DatabaseTransaction, e: &Incoming) -> Result<(), AppError> {
    let Some(r) = e.decode::<ev::OrderRefunded>() else {
        return Ok(());
    };
    // A late or duplicate payment was never sold: nothing was earned on it.
    if r.late_payment {
        return Ok(());
    }
    let Some((order_id, member_id)) = goods_order(e, r.order.as_ref()) else {
        return Ok(());
    };
    let Ok(refund_id) = Uuid::parse_str(&r.refund_id) else {
        tracing::info!(%order_id, "refund without a usable id skipped");
        return Ok(());
    };
    let lines = r
        .lines
        .iter()
        .map(|l| BaseLine {
            category_ids: categories(&l.category_ids),
            cash: fen(l.cash_amount.as_ref()),
            stored_value: fen(l.stored_value_amount.as_ref()),
        })
        .collect();
    app.reverse_order_earning(txn, &e.ctx("orders"), order_id, member_id, refund_id, lines)
        .await
}

/// OrderSettled → completion-credited points on the units not refunded.
pub async fn settled(app: &App, txn: &DatabaseTransaction, e: &Incoming) -> Result<(), AppError> {
    let Some(s) = e.decode::<ev::OrderSettled>() else {
        return Ok(());
    };
    let Some((order_id, member_id)) = goods_order(e, s.order.as_ref()) else {
        return Ok(());
    };
    let lines = s
        .order
        .iter()
        .flat_map(|o| {
            o.lines.iter().map(|l| SettledLine {
                paid: paid_line(l),
                refunded: fen(l.refunded_amount.as_ref()),
            })
        })
        .collect();
    let order = SettledOrder {
        order_id,
        member_id,
        lines,
        fully_refunded: s.fully_refunded,
    };
    let points = app
        .settle_order_earning(txn, &e.ctx("orders"), &order)
        .await?;
    tracing::info!(%order_id, points, "order settlement applied");
    Ok(())
}

/// OrderCancelled of an unpaid order → its holds released.
pub async fn cancelled(app: &App, txn: &DatabaseTransaction, e: &Incoming) -> Result<(), AppError> {
    let Some(c) = e.decode::<ev::OrderCancelled>() else {
        return Ok(());
    };
    if c.was_paid {
        return Ok(());
    }
    let Some(order_id) = c
        .order
        .as_ref()
        .and_then(|o| Uuid::parse_str(&o.order_id).ok())
    else {
        return Ok(());
    };
    let n = app
        .release_cancelled_order(txn, &e.ctx("orders"), order_id)
        .await?;
    tracing::info!(%order_id, released = n, "cancelled order's holds released");
    Ok(())
}
