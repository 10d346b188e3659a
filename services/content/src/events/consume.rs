//! Consumes orders' events for the funnel: OrderPaid carrying an attribution (share link,
//! content, guide, store or campaign) is kept as an attributed order, OrderRefunded as a refund
//! reducing its GMV. Each event is applied in one transaction with its inbox record, so a
//! redelivery changes nothing; the effects are also idempotent by order id and refund id, so
//! two events for the same order (and events delivered out of order) count once between them.

use prost::Message;
use sea_orm::TransactionTrait;
use siyu_core::TenantId;
use siyu_proto::common::v1::Attribution;
use siyu_proto::events::v1 as ev;
use siyu_store::{Bus, ConsumerConfig, Delivery};
use uuid::Uuid;

use crate::AppError;
use crate::app::App;
use crate::app::shares::Sources;
use crate::app::shares::funnel::AttributedOrder;

/// The inbox consumer name.
pub const CONSUMER: &str = "content-orders";

/// The attribution of an order snapshot when it names something the funnel reports on.
fn attributed(order: &ev::OrderSnapshot) -> Option<&Attribution> {
    order.attribution.as_ref().filter(|a| {
        [
            &a.share_link_id,
            &a.content_id,
            &a.guide_id,
            &a.store_id,
            &a.campaign_id,
        ]
        .iter()
        .any(|v| !v.is_empty())
    })
}

/// A timestamp as ms since the epoch.
fn ms(t: &prost_types::Timestamp) -> i64 {
    t.seconds * 1000 + i64::from(t.nanos / 1_000_000)
}

/// Infrastructure failures are worth a redelivery; refusals are not.
fn is_transient(e: &AppError) -> bool {
    matches!(e, AppError::Store(_) | AppError::Internal(_))
}

/// Applies one delivered message. Business refusals are final and recorded; only
/// infrastructure failures are returned, so the message is redelivered.
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
    let occurred_ms = env.occurred_at.as_ref().map_or_else(|| app.now_ms(), ms);
    let body = env.payload.map(|a| a.value).unwrap_or_default();
    let txn = siyu_store::db::begin_write(&app.db).await?;
    if !siyu_store::inbox::record_once(&txn, CONSUMER, event_id, app.clock.now()).await? {
        return Ok(());
    }
    // The effect runs in a savepoint: a refusal rolls back its partial writes while the inbox
    // row still commits.
    let inner = txn.begin().await?;
    let outcome = match env.r#type.as_str() {
        "siyu.events.v1.OrderPaid" => match ev::OrderPaid::decode(body.as_slice()).ok() {
            Some(e) => match e.order.as_ref().and_then(|o| Some((o, attributed(o)?))) {
                Some((o, a)) => {
                    let paid = o
                        .amounts
                        .as_ref()
                        .and_then(|a| a.paid_amount.clone())
                        .unwrap_or_default();
                    let paid_at_ms = e
                        .paid_at
                        .as_ref()
                        .or(o.paid_at.as_ref())
                        .map_or(occurred_ms, ms);
                    let order = AttributedOrder {
                        order_id: o.order_id.clone(),
                        sources: Sources {
                            content_id: a.content_id.clone(),
                            guide_id: a.guide_id.clone(),
                            store_id: a.store_id.clone(),
                            campaign_id: a.campaign_id.clone(),
                            product_id: String::new(),
                        },
                        share_link_id: a.share_link_id.clone(),
                        buyer: o.user_id.clone(),
                        paid_minor: paid.minor_units,
                        currency: paid.currency_code,
                        paid_at_ms,
                    };
                    app.attribute_order(&inner, tenant, &order)
                        .await
                        .map(|_| ())
                }
                None => Ok(()),
            },
            None => Ok(()),
        },
        "siyu.events.v1.OrderRefunded" => match ev::OrderRefunded::decode(body.as_slice()).ok() {
            Some(e) => match e.order.as_ref().filter(|o| attributed(o).is_some()) {
                Some(o) if !e.refund_id.is_empty() => app
                    .attribute_refund(
                        &inner,
                        tenant,
                        &e.refund_id,
                        &o.order_id,
                        e.amount.as_ref().map_or(0, |m| m.minor_units),
                    )
                    .await
                    .map(|_| ()),
                _ => Ok(()),
            },
            None => Ok(()),
        },
        _ => Ok(()),
    };
    match outcome {
        Ok(()) => inner.commit().await?,
        Err(e) if is_transient(&e) => return Err(e),
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
