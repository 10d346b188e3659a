//! Consumes other services' events through the inbox: each delivered event is applied in one
//! transaction with its inbox record (`siyu_inbox`, per consumer), so a redelivery changes
//! nothing. This file only decodes the envelope and dispatches by type: one line per handler,
//! each handler in a module of its own that decodes its payload and keys its effects by the
//! business ids it carries (order, refund, user), so two distinct events of one order — or an
//! event racing its own redelivery on another replica — apply once between them.
//!
//! Each handler runs in a savepoint ([`isolated!`]): a business refusal (unknown member, a frozen
//! one) is final — logged, its writes rolled back, the event recorded as handled, never retried
//! forever — while infrastructure failures roll back the whole event, which is redelivered.

use prost::Message;
use sea_orm::{DatabaseTransaction, TransactionTrait};
use siyu_core::{Ctx, Principal, PrincipalKind, TenantId};
use siyu_proto::events::v1 as ev;
use siyu_store::{Bus, ConsumerConfig, Delivery};
use uuid::Uuid;

use crate::AppError;
use crate::app::App;

pub mod coupon_packs;
pub mod identity;
pub mod order_ledger;
pub mod order_tags;
pub mod share_links;

/// The inbox consumer (and durable bus consumer) of orders' events.
pub const CONSUMER: &str = "membership-orders";
/// The inbox consumer (and durable bus consumer) of content's events.
pub const CONTENT_CONSUMER: &str = "membership-content";
/// The inbox consumer (and durable bus consumer) of identity's events.
pub const IDENTITY_CONSUMER: &str = "membership-identity";

/// Event type of OrderPaid.
pub const ORDER_PAID: &str = "siyu.events.v1.OrderPaid";
/// Event type of OrderCancelled.
pub const ORDER_CANCELLED: &str = "siyu.events.v1.OrderCancelled";
/// Event type of OrderRefunded.
pub const ORDER_REFUNDED: &str = "siyu.events.v1.OrderRefunded";
/// Event type of OrderSettled.
pub const ORDER_SETTLED: &str = "siyu.events.v1.OrderSettled";
/// Event type of TenantCreated.
pub const TENANT_CREATED: &str = "siyu.events.v1.TenantCreated";
/// Event type of UserPhoneBound.
pub const USER_PHONE_BOUND: &str = "siyu.events.v1.UserPhoneBound";
/// Event type of UserErased.
pub const USER_ERASED: &str = "siyu.events.v1.UserErased";
/// Event type of UsersMerged.
pub const USERS_MERGED: &str = "siyu.events.v1.UsersMerged";
/// Event type of UsersMergeReversed.
pub const USERS_MERGE_REVERSED: &str = "siyu.events.v1.UsersMergeReversed";

/// One delivered event, its envelope decoded.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// The envelope id (the inbox key).
    pub event_id: Uuid,
    /// The tenant it belongs to.
    pub tenant: TenantId,
    /// The payload's type, e.g. `siyu.events.v1.OrderPaid`.
    pub type_name: String,
    /// The encoded payload.
    pub body: Vec<u8>,
    /// When it happened, ms (0 when the envelope did not say).
    pub occurred_at_ms: i64,
}

impl Incoming {
    /// The payload decoded as `M`; `None` (logged) when it is not one.
    pub fn decode<M: Message + Default>(&self) -> Option<M> {
        match M::decode(self.body.as_slice()) {
            Ok(m) => Some(m),
            Err(e) => {
                tracing::warn!(error = %e, event_id = %self.event_id, kind = %self.type_name, "undecodable payload skipped");
                None
            }
        }
    }

    /// The context the event acts in: the publishing service, in the event's tenant.
    pub fn ctx(&self, source: &str) -> Ctx {
        Ctx::new(
            self.tenant,
            Principal {
                subject: source.into(),
                kind: PrincipalKind::Service,
                grants: Vec::new(),
                scopes: Vec::new(),
                token_id: None,
            },
        )
    }
}

/// Runs one handler in a savepoint of the event's transaction: a business refusal rolls back
/// what the handler wrote and is logged as final; a store or internal failure fails the event.
macro_rules! isolated {
    ($txn:expr, $what:literal, |$sp:ident| $body:expr) => {{
        let $sp = $txn.begin().await?;
        match $body.await {
            Ok(()) => $sp.commit().await?,
            Err(e @ (AppError::Store(_) | AppError::Internal(_))) => return Err(e),
            Err(e) => {
                $sp.rollback().await?;
                tracing::info!(error = %e, handler = $what, "event refused, recorded as handled");
            }
        }
    }};
}

/// Dispatches one event to every handler of its type, in the event's transaction.
async fn dispatch(app: &App, txn: &DatabaseTransaction, e: &Incoming) -> Result<(), AppError> {
    match e.type_name.as_str() {
        ORDER_PAID => {
            isolated!(txn, "order earning", |sp| order_ledger::paid(app, &sp, e));
            isolated!(txn, "first-order pack", |sp| coupon_packs::paid(
                app, &sp, e
            ));
            isolated!(txn, "commission", |sp| super::commissions::paid(
                app, &sp, e.tenant, &e.body
            ));
            isolated!(txn, "purchase tags", |sp| order_tags::paid(app, &sp, e));
        }
        ORDER_CANCELLED => {
            isolated!(txn, "order holds released", |sp| order_ledger::cancelled(
                app, &sp, e
            ));
        }
        ORDER_REFUNDED => {
            isolated!(txn, "order earning reversed", |sp| order_ledger::refunded(
                app, &sp, e
            ));
            isolated!(txn, "commission", |sp| super::commissions::refunded(
                app, &sp, e.tenant, &e.body
            ));
            isolated!(txn, "purchase tags", |sp| order_tags::refunded(app, &sp, e));
        }
        ORDER_SETTLED => {
            isolated!(txn, "order earning settled", |sp| order_ledger::settled(
                app, &sp, e
            ));
            isolated!(txn, "commission", |sp| super::commissions::settled(
                app, &sp, e.tenant, &e.body
            ));
        }
        super::guides::STAFF_DISABLED => {
            isolated!(txn, "guide succession", |sp| super::guides::staff_disabled(
                app, &sp, e.tenant, &e.body
            ));
        }
        TENANT_CREATED => {
            isolated!(txn, "tenant ledger seeded", |sp| identity::tenant_created(
                app, &sp, e
            ));
            isolated!(txn, "tenant tier seeded", |sp| identity::tenant_tier(
                app, &sp, e
            ));
        }
        USER_PHONE_BOUND => {
            isolated!(txn, "phone bound points", |sp| identity::phone_bound(
                app, &sp, e
            ));
        }
        USER_ERASED => {
            isolated!(txn, "member erased", |sp| identity::user_erased(
                app, &sp, e
            ));
        }
        USERS_MERGED => {
            isolated!(txn, "members merged", |sp| identity::users_merged(
                app, &sp, e
            ));
        }
        USERS_MERGE_REVERSED => {
            isolated!(txn, "members split back", |sp| identity::merge_reversed(
                app, &sp, e
            ));
        }
        share_links::SHARE_LINK_CLICKED => {
            isolated!(txn, "share link guide", |sp| share_links::clicked(
                app, &sp, e
            ));
        }
        _ => {}
    }
    Ok(())
}

/// Applies one delivered message of orders' subscription (see [`handle_for`]).
pub async fn handle(app: &App, payload: &[u8], message_id: &str) -> Result<(), AppError> {
    handle_for(app, CONSUMER, payload, message_id).await
}

/// Applies one delivered message for `consumer`. Undecodable envelopes are dropped (logged);
/// only infrastructure failures are returned, so the message is redelivered.
pub async fn handle_for(
    app: &App,
    consumer: &str,
    payload: &[u8],
    message_id: &str,
) -> Result<(), AppError> {
    let Ok(env) = ev::EventEnvelope::decode(payload) else {
        tracing::warn!(message_id, "undecodable envelope dropped");
        return Ok(());
    };
    let Ok(tenant) = TenantId::parse(&env.tenant_id) else {
        tracing::warn!(message_id, "event without a tenant dropped");
        return Ok(());
    };
    let event_id = Uuid::parse_str(&env.id)
        .or_else(|_| Uuid::parse_str(message_id))
        .unwrap_or_else(|_| siyu_core::id::new());
    let e = Incoming {
        event_id,
        tenant,
        type_name: env.r#type,
        body: env.payload.map(|a| a.value).unwrap_or_default(),
        occurred_at_ms: env
            .occurred_at
            .map_or(0, |t| t.seconds * 1000 + i64::from(t.nanos) / 1_000_000),
    };
    let txn = siyu_store::db::begin_write(&app.db).await?;
    if !siyu_store::inbox::record_once(&txn, consumer, e.event_id, app.clock.now()).await? {
        return Ok(());
    }
    dispatch(app, &txn, &e).await?;
    txn.commit().await?;
    Ok(())
}

/// Subscribes to orders', identity's and content's events and applies them until `stop`
/// resolves.
pub async fn run(app: App, bus: Bus, stop: impl Future<Output = ()> + Send) {
    let (tx, rx) = tokio::sync::watch::channel(false);
    let orders = consume(&app, &bus, CONSUMER, "orders.>", rx.clone());
    let identity = consume(&app, &bus, IDENTITY_CONSUMER, "identity.>", rx.clone());
    let content = consume(&app, &bus, CONTENT_CONSUMER, "content.>", rx);
    let stopping = async move {
        stop.await;
        let _ = tx.send(true);
    };
    tokio::join!(orders, identity, content, stopping);
}

/// One durable subscription's loop.
async fn consume(
    app: &App,
    bus: &Bus,
    consumer: &str,
    filter: &str,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut sub = match bus.subscribe(ConsumerConfig::new(consumer, filter)).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, consumer, "cannot subscribe");
            return;
        }
    };
    loop {
        let delivery: Delivery = tokio::select! {
            () = async { let _ = stop.wait_for(|s| *s).await; } => break,
            d = sub.next() => match d {
                Ok(d) => d,
                Err(e) => {
                    tracing::warn!(error = %e, consumer, "bus receive failed");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    continue;
                }
            },
        };
        match handle_for(
            app,
            consumer,
            &delivery.message.payload,
            &delivery.message.id,
        )
        .await
        {
            Ok(()) => {
                let _ = delivery.ack().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, consumer, "event failed; will be redelivered");
                let _ = delivery.nak(Some(std::time::Duration::from_secs(5))).await;
            }
        }
    }
}
