//! Consumes orders' events: OrderPaid of a goods order → points and growth
//! (`app::ledger::order_earning`). Each event is applied in one transaction with its inbox
//! record, so a redelivery changes nothing; the effects are also keyed by order
//! (`earn:order:<id>`, `growth:order:<id>`), so two events for one order, or an event racing
//! its own redelivery on another replica, apply once between them.

use prost::Message;
use siyu_core::{Ctx, Principal, PrincipalKind, TenantId};
use siyu_proto::events::v1 as ev;
use siyu_store::{Bus, ConsumerConfig, Delivery};
use uuid::Uuid;

use crate::AppError;
use crate::app::App;
use crate::app::domain::MemberId;
use crate::app::ledger::order_earning::{PaidLine, PaidOrder};

/// The inbox consumer name.
pub const CONSUMER: &str = "membership-orders";

/// The context orders' events act in: the orders service, in the event's tenant.
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

fn fen(m: Option<&siyu_proto::common::v1::Money>) -> i64 {
    m.map_or(0, |m| m.minor_units)
}

/// The paid goods order an OrderPaid carries; `None` for other kinds or unusable ids.
fn paid_order(e: ev::OrderPaid) -> Option<PaidOrder> {
    let o = e.order?;
    if o.kind != ev::OrderKind::Goods as i32 {
        return None;
    }
    Some(PaidOrder {
        order_id: Uuid::parse_str(&o.order_id).ok()?,
        member_id: MemberId(Uuid::parse_str(&o.member_id).ok()?),
        lines: o
            .lines
            .iter()
            .map(|l| PaidLine {
                category_ids: l
                    .category_ids
                    .iter()
                    .filter_map(|c| Uuid::parse_str(c).ok())
                    .collect(),
                cash: fen(l.cash_amount.as_ref()),
                stored_value: fen(l.stored_value_amount.as_ref()),
            })
            .collect(),
    })
}

/// Applies one delivered message. Business refusals (unknown member) are final and recorded;
/// only infrastructure failures are returned, so the message is redelivered.
pub async fn handle(app: &App, payload: &[u8], message_id: &str) -> Result<(), AppError> {
    let Ok(env) = ev::EventEnvelope::decode(payload) else {
        tracing::warn!(message_id, "undecodable envelope dropped");
        return Ok(());
    };
    let event_id = Uuid::parse_str(&env.id)
        .or_else(|_| Uuid::parse_str(message_id))
        .unwrap_or_else(|_| siyu_core::id::new());
    let Ok(tenant) = TenantId::parse(&env.tenant_id) else {
        return Ok(());
    };
    let body = env.payload.map(|a| a.value).unwrap_or_default();
    let order = match env.r#type.as_str() {
        "siyu.events.v1.OrderPaid" => ev::OrderPaid::decode(body.as_slice())
            .ok()
            .and_then(paid_order),
        _ => None,
    };
    let Some(order) = order else {
        return Ok(());
    };
    let txn = siyu_store::db::begin_write(&app.db).await?;
    if !siyu_store::inbox::record_once(&txn, CONSUMER, event_id, app.clock.now()).await? {
        return Ok(());
    }
    match app.earn_for_order(&txn, &orders_ctx(tenant), &order).await {
        Ok(done) => tracing::info!(
            order_id = %order.order_id, points = done.points, growth = done.growth,
            "order earning applied"
        ),
        Err(e @ (AppError::Store(_) | AppError::Internal(_))) => return Err(e),
        // Refused for a business reason: recorded as handled so it is not retried forever.
        Err(e) => {
            tracing::info!(error = %e, order_id = %order.order_id, "order earning not applied")
        }
    }
    txn.commit().await?;
    Ok(())
}

/// Subscribes to orders' events and applies them until `stop` resolves.
pub async fn run(app: App, bus: Bus, stop: impl Future<Output = ()> + Send) {
    let mut sub = match bus
        .subscribe(ConsumerConfig::new(CONSUMER, "orders.>"))
        .await
    {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot subscribe to orders events");
            return;
        }
    };
    tokio::pin!(stop);
    loop {
        let delivery: Delivery = tokio::select! {
            () = &mut stop => break,
            d = sub.next() => match d {
                Ok(d) => d,
                Err(e) => {
                    tracing::warn!(error = %e, "bus receive failed");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    continue;
                }
            },
        };
        match handle(&app, &delivery.message.payload, &delivery.message.id).await {
            Ok(()) => {
                let _ = delivery.ack().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "order event failed; will be redelivered");
                let _ = delivery.nak(Some(std::time::Duration::from_secs(5))).await;
            }
        }
    }
}
