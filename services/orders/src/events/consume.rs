//! Consumes other services' events through the inbox: each delivered event is applied in one
//! transaction with its inbox record (`siyu_inbox`, per consumer), so a redelivery changes
//! nothing. This file only decodes the envelope and dispatches by type: one line per handler,
//! each handler in a module of its own that decodes its payload and keys its effects by the
//! business ids it carries (merge, user, order), so two distinct events of one merge — or an
//! event racing its own redelivery on another replica — apply once between them.
//!
//! Each handler runs in a savepoint ([`isolated!`]): a business refusal is final — logged, its
//! writes rolled back, the event recorded as handled, never retried forever — while
//! infrastructure failures roll back the whole event, which is redelivered.
//!
//! - identity: UsersMerged / UsersMergeReversed move the merged user's orders, cases and cart to
//!   the kept user and back ([`identity`], journal in `repo::merges`); UserErased drops the cart
//!   and strips the orders past their legal retention, the others when they pass it
//!   ([`erasure`], a step of the jobs pass).
//! - catalog: ReservationExpired cancels the still-unpaid order through the cancellation path
//!   ([`catalog`]); a payment arriving after it is a late payment (`app::payments::late`).

use prost::Message;
use sea_orm::{DatabaseTransaction, TransactionTrait};
use siyu_core::TenantId;
use siyu_proto::events::v1 as ev;
use siyu_store::{Bus, ConsumerConfig, Delivery};
use uuid::Uuid;

use crate::AppError;
use crate::app::App;

pub mod catalog;
pub mod erasure;
pub mod identity;

/// The inbox consumer (and durable bus consumer) of identity's events.
pub const IDENTITY_CONSUMER: &str = "orders-identity";
/// The inbox consumer (and durable bus consumer) of catalog's events.
pub const CATALOG_CONSUMER: &str = "orders-catalog";

/// Event type of UserErased.
pub const USER_ERASED: &str = "siyu.events.v1.UserErased";
/// Event type of UsersMerged.
pub const USERS_MERGED: &str = "siyu.events.v1.UsersMerged";
/// Event type of UsersMergeReversed.
pub const USERS_MERGE_REVERSED: &str = "siyu.events.v1.UsersMergeReversed";
/// Event type of ReservationExpired.
pub const RESERVATION_EXPIRED: &str = "siyu.events.v1.ReservationExpired";

/// One delivered event, its envelope decoded.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// The envelope id (the inbox key).
    pub event_id: Uuid,
    /// The tenant it belongs to.
    pub tenant: TenantId,
    /// The payload's type, e.g. `siyu.events.v1.UsersMerged`.
    pub type_name: String,
    /// The encoded payload.
    pub body: Vec<u8>,
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

    /// `id` as a uuid; `None` (logged) when the event carries no usable one.
    pub fn id(&self, id: &str) -> Option<Uuid> {
        let parsed = Uuid::parse_str(id).ok();
        if parsed.is_none() {
            tracing::info!(event_id = %self.event_id, kind = %self.type_name, "event without a usable id skipped");
        }
        parsed
    }
}

/// What must run once the event's transaction committed (a remote call never runs inside it).
#[derive(Debug, Default)]
pub struct AfterCommit {
    /// Orders whose reservation expired: their cancellation runs at once (and from the task).
    pub expired_orders: Vec<(TenantId, Uuid)>,
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
async fn dispatch(
    app: &App,
    txn: &DatabaseTransaction,
    e: &Incoming,
    after: &mut AfterCommit,
) -> Result<(), AppError> {
    match e.type_name.as_str() {
        USERS_MERGED => {
            isolated!(txn, "orders merged", |sp| identity::users_merged(
                app, &sp, e
            ));
        }
        USERS_MERGE_REVERSED => {
            isolated!(txn, "orders split back", |sp| identity::merge_reversed(
                app, &sp, e
            ));
        }
        USER_ERASED => {
            isolated!(txn, "user erased", |sp| identity::user_erased(app, &sp, e));
        }
        RESERVATION_EXPIRED => {
            isolated!(txn, "reservation expired", |sp| {
                catalog::reservation_expired(app, &sp, e, after)
            });
        }
        _ => {}
    }
    Ok(())
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
    };
    let mut after = AfterCommit::default();
    let txn = siyu_store::db::begin_write(&app.db).await?;
    if !siyu_store::inbox::record_once(&txn, consumer, e.event_id, app.clock.now()).await? {
        return Ok(());
    }
    dispatch(app, &txn, &e, &mut after).await?;
    txn.commit().await?;
    for (tenant, order) in after.expired_orders {
        // The task (scheduled with the inbox row) retries what fails here.
        if let Err(err) = app.cancel_expired_reservation(tenant, order).await {
            tracing::warn!(error = %err, %order, "reservation expiry cancellation; retried by the task");
        }
    }
    Ok(())
}

/// Subscribes to identity's and catalog's events and applies them until `stop` resolves.
pub async fn run(app: App, bus: Bus, stop: impl Future<Output = ()> + Send) {
    let (tx, rx) = tokio::sync::watch::channel(false);
    let identity = consume(&app, &bus, IDENTITY_CONSUMER, "identity.>", rx.clone());
    let catalog = consume(&app, &bus, CATALOG_CONSUMER, "catalog.>", rx);
    let stopping = async move {
        stop.await;
        let _ = tx.send(true);
    };
    tokio::join!(identity, catalog, stopping);
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
