//! Commission on the bus: orders' OrderPaid, OrderRefunded and OrderSettled applied to the
//! commission ledger (`app::distribution::commissions`) in the event's transaction, and
//! CommissionSettled written to the outbox. Goods orders of members only; undecodable payloads,
//! other kinds and unusable ids are skipped with a log line (never retried forever).

use prost::Message;
use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, Principal, PrincipalKind, TenantId};
use siyu_proto::common::v1::Money;
use siyu_proto::events::v1 as ev;
use uuid::Uuid;

use crate::AppError;
use crate::app::App;
use crate::app::distribution::commissions::PaidLine;
use crate::app::domain::MemberId;
use crate::repo::distribution::entries::RefundedLine;

/// Bus subject of CommissionSettled.
pub const COMMISSION_SETTLED: &str = "membership.commission_settled";

fn fen(m: Option<&Money>) -> i64 {
    m.map_or(0, |m| m.minor_units)
}

/// Orders' change, acted on as orders.
fn orders_ctx(tenant: TenantId) -> Ctx {
    Ctx::new(
        tenant,
        Principal {
            subject: "orders".into(),
            kind: PrincipalKind::Service,
            grants: Vec::new(),
            scopes: Vec::new(),
            token_id: None,
        },
    )
}

/// The order and buyer of a goods order's snapshot.
fn goods(o: Option<&ev::OrderSnapshot>) -> Option<(Uuid, MemberId)> {
    let o = o?;
    if o.kind != ev::OrderKind::Goods as i32 {
        return None;
    }
    let order = Uuid::parse_str(&o.order_id).ok()?;
    let member = Uuid::parse_str(&o.member_id).ok()?;
    Some((order, MemberId(member)))
}

/// OrderPaid (`body` its payload) of `tenant` → PENDING commission.
pub async fn paid(
    app: &App,
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    body: &[u8],
) -> Result<(), AppError> {
    let Ok(e) = ev::OrderPaid::decode(body) else {
        tracing::warn!(%tenant, "undecodable OrderPaid skipped by commission");
        return Ok(());
    };
    let Some((order, buyer)) = goods(e.order.as_ref()) else {
        return Ok(());
    };
    let lines: Vec<PaidLine> = e
        .order
        .iter()
        .flat_map(|o| o.lines.iter())
        .map(|l| PaidLine {
            order_line_id: l.order_line_id.clone(),
            sku_id: l.sku_id.clone(),
            cash: fen(l.cash_amount.as_ref()),
            stored_value: fen(l.stored_value_amount.as_ref()),
        })
        .collect();
    let done = app
        .commission_paid(conn, &orders_ctx(tenant), order, buyer, &lines)
        .await?;
    tracing::info!(%order, written = done.written, settled = done.settled, "commission recorded");
    Ok(())
}

/// OrderRefunded → the refunded share reversed (once per refund id).
pub async fn refunded(
    app: &App,
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    body: &[u8],
) -> Result<(), AppError> {
    let Ok(e) = ev::OrderRefunded::decode(body) else {
        tracing::warn!(%tenant, "undecodable OrderRefunded skipped by commission");
        return Ok(());
    };
    // A late or duplicate payment was never sold: no commission was written on it.
    if e.late_payment || e.refund_id.is_empty() {
        return Ok(());
    }
    let Some((order, _)) = goods(e.order.as_ref()) else {
        return Ok(());
    };
    let lines: Vec<RefundedLine> = e
        .lines
        .iter()
        .map(|l| RefundedLine {
            order_line_id: l.order_line_id.clone(),
            cash: fen(l.cash_amount.as_ref()),
            stored_value: fen(l.stored_value_amount.as_ref()),
        })
        .collect();
    let done = app
        .commission_refunded(conn, &orders_ctx(tenant), order, &e.refund_id, &lines)
        .await?;
    tracing::info!(%order, reversed = done.reversed, "commission refund applied");
    Ok(())
}

/// OrderSettled → PENDING commission settled, net of reversals.
pub async fn settled(
    app: &App,
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    body: &[u8],
) -> Result<(), AppError> {
    let Ok(e) = ev::OrderSettled::decode(body) else {
        tracing::warn!(%tenant, "undecodable OrderSettled skipped by commission");
        return Ok(());
    };
    let Some((order, _)) = goods(e.order.as_ref()) else {
        return Ok(());
    };
    let done = app
        .commission_settled(conn, &orders_ctx(tenant), order)
        .await?;
    tracing::info!(%order, settled = done.settled, "commission settled");
    Ok(())
}

/// CommissionSettled for one distributor and order.
#[allow(clippy::too_many_arguments, reason = "the event's fields")]
pub async fn commission_settled(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    user: Option<Uuid>,
    order: Uuid,
    amount: i64,
    available_after: i64,
    entry_ids: &[Uuid],
    at_ms: i64,
) -> Result<(), AppError> {
    let cny = |fen: i64| {
        Some(Money {
            minor_units: fen,
            currency_code: "CNY".into(),
        })
    };
    let msg = ev::CommissionSettled {
        member_id: member.to_string(),
        user_id: user.map(|u| u.to_string()).unwrap_or_default(),
        order_id: order.to_string(),
        amount: cny(amount),
        available_after: cny(available_after),
        entry_ids: entry_ids.iter().map(ToString::to_string).collect(),
    };
    super::publish::write_event(
        conn,
        tenant,
        COMMISSION_SETTLED,
        "siyu.events.v1.CommissionSettled",
        member.to_string(),
        at_ms,
        msg.encode_to_vec(),
    )
    .await
}
