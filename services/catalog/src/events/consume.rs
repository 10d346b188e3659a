//! Consumes orders' events: OrderPaid → confirm, OrderCancelled (unpaid) → release,
//! OrderRefunded lines with restock → RestockReturn. Each event is applied in one transaction
//! with its inbox record, so a redelivery changes nothing; the effects are also idempotent by
//! order id / refund id, so an RPC and an event for the same order apply once between them.

use prost::Message;
use sea_orm::TransactionTrait;
use siyu_core::TenantId;
use siyu_proto::events::v1 as ev;
use siyu_store::{Bus, ConsumerConfig, Delivery};
use uuid::Uuid;

use crate::AppError;
use crate::app::App;

/// The inbox consumer name.
pub const CONSUMER: &str = "catalog-orders";

/// Applies one delivered message. Business refusals (already released, not found) are final and
/// recorded; only infrastructure failures are returned, so the message is redelivered.
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
    let txn = siyu_store::db::begin_write(&app.db).await?;
    if !siyu_store::inbox::record_once(&txn, CONSUMER, event_id, app.clock.now()).await? {
        return Ok(());
    }
    // The effect runs in a savepoint: a business refusal rolls back its partial writes while the
    // inbox row still commits.
    let inner = txn.begin().await?;
    let outcome = match env.r#type.as_str() {
        "siyu.events.v1.OrderPaid" => match ev::OrderPaid::decode(body.as_slice())
            .ok()
            .and_then(|e| e.order)
            .and_then(|o| Uuid::parse_str(&o.order_id).ok())
        {
            Some(order) => app
                .confirm(&inner, tenant, order, "service:orders")
                .await
                .map(|_| ()),
            None => Ok(()),
        },
        "siyu.events.v1.OrderCancelled" => match ev::OrderCancelled::decode(body.as_slice()).ok() {
            Some(e) if !e.was_paid => match e.order.and_then(|o| Uuid::parse_str(&o.order_id).ok())
            {
                Some(order) => app
                    .release(&inner, tenant, order, "ORDER_CANCELLED")
                    .await
                    .map(|_| ()),
                None => Ok(()),
            },
            _ => Ok(()),
        },
        "siyu.events.v1.OrderRefunded" => match ev::OrderRefunded::decode(body.as_slice()).ok() {
            Some(e) => {
                let order = e
                    .order
                    .as_ref()
                    .and_then(|o| Uuid::parse_str(&o.order_id).ok());
                let lines: Vec<(Uuid, i32, Option<Uuid>)> = e
                    .lines
                    .iter()
                    .filter(|l| l.restock && l.quantity > 0)
                    .filter_map(|l| {
                        Some((
                            Uuid::parse_str(&l.sku_id).ok()?,
                            l.quantity,
                            Uuid::parse_str(&l.location_id).ok(),
                        ))
                    })
                    .collect();
                match order {
                    Some(order) if !lines.is_empty() => app
                        .restock(&inner, tenant, order, &e.refund_id, lines, "service:orders")
                        .await
                        .map(|_| ()),
                    _ => Ok(()),
                }
            }
            None => Ok(()),
        },
        _ => Ok(()),
    };
    match outcome {
        Ok(()) => inner.commit().await?,
        Err(e) if e.is_transient() => return Err(e),
        // Refused for a business reason: record it as handled so it is not retried forever.
        Err(e) => {
            tracing::info!(error = %e, event_type = %env.r#type, "order event not applied");
            inner.rollback().await?;
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
