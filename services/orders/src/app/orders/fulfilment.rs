//! Fulfilment: PAID → PREPARING → SHIPPED | READY_FOR_PICKUP → COMPLETED, shipment corrections,
//! pickup codes, auto-completion and settlement. Each step locks the order, asks
//! [`OrderStatus::may_become`], writes the change, its timeline entry and its event in the
//! caller's transaction; repeating a step the order already made answers the order as is.

use prost::Message as _;
use rand::Rng as _;
use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, PrincipalKind, TenantId};
use uuid::Uuid;

use super::model::{ActorKind, Order, TimelineEntry, timeline_kind};
use super::status::OrderStatus;
use crate::AppError;
use crate::app::App;
use crate::events::publish;
use crate::repo;
use crate::repo::orders::fulfilment as store;

const DAY_MS: i64 = 86_400_000;
/// Draws of a pickup code before giving up (a tenant with millions of waiting orders).
const CODE_DRAWS: usize = 20;
/// `siyu.orders.v1.FulfilmentMode` numbers.
const STORE_PICKUP: i32 = 2;
/// `OrderAfterSaleState` IN_PROGRESS: a case is open.
const AFTER_SALE_IN_PROGRESS: i16 = 2;

/// Shipment and pickup details of an order (the columns `shipment` and `pickup`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fulfilment {
    /// Once shipped.
    pub shipment: Option<Shipment>,
    /// Once ready for pickup.
    pub pickup: Option<Pickup>,
}

/// How an order was shipped.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Shipment {
    /// Carrier code ("SF"; "SAME_CITY" for the store's rider).
    pub carrier_code: String,
    /// Carrier display name.
    pub carrier_name: String,
    /// Tracking number.
    pub tracking_no: String,
    /// Same-city rider name.
    pub rider_name: String,
    /// Same-city rider phone.
    pub rider_phone: String,
    /// When it was shipped.
    pub shipped_at_ms: i64,
    /// The staff (or partner client) who shipped it.
    pub shipped_by: String,
}

/// A pickup order at the store.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Pickup {
    /// When it became ready.
    pub ready_at_ms: i64,
    /// Until when the store holds it.
    pub hold_until_ms: i64,
    /// When the code was verified.
    pub picked_up_at_ms: Option<i64>,
    /// Who verified it.
    pub verified_by: String,
}

/// How an order completed (`siyu.events.v1.OrderCompletedBy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompletedBy {
    /// The consumer confirmed receipt.
    Member,
    /// Staff (or a partner) completed it.
    Staff,
    /// The pickup code was verified.
    PickupVerified,
    /// Automatically at `auto_complete_at`.
    Auto,
    /// A top-up or paid plan, once membership applied it.
    PurchaseApplied,
}

impl CompletedBy {
    /// The event's enum number.
    pub fn number(self) -> i32 {
        match self {
            Self::Member => 1,
            Self::Staff => 2,
            Self::PickupVerified => 3,
            Self::Auto => 4,
            Self::PurchaseApplied => 5,
        }
    }
}

/// Wrong pickup codes one caller may try at one store in ten minutes.
const PICKUP_MISSES: i64 = 10;

/// Who acts, as the timeline records it (staff and partner ids; none for member and system).
#[derive(Debug, Clone)]
pub struct Actor {
    /// The kind.
    pub kind: ActorKind,
    /// Staff id or partner client id.
    pub id: String,
}

impl Actor {
    /// The actor of a call.
    pub fn of(ctx: &Ctx) -> Self {
        let (kind, id) = match ctx.principal.kind {
            PrincipalKind::Consumer => (ActorKind::Member, String::new()),
            PrincipalKind::Staff => (ActorKind::Staff, ctx.principal.subject.clone()),
            PrincipalKind::Partner => (ActorKind::Partner, ctx.principal.subject.clone()),
            PrincipalKind::Service => (ActorKind::System, String::new()),
        };
        Self { kind, id }
    }

    /// Orders itself (jobs).
    pub fn system() -> Self {
        Self {
            kind: ActorKind::System,
            id: String::new(),
        }
    }
}

/// What ShipOrder and UpdateShipment record (validated by the caller).
#[derive(Debug, Clone, Default)]
pub struct ShipInput {
    /// Carrier code.
    pub carrier_code: String,
    /// Carrier name (defaults to the code).
    pub carrier_name: String,
    /// Tracking number.
    pub tracking_no: String,
    /// Rider name.
    pub rider_name: String,
    /// Rider phone.
    pub rider_phone: String,
}

/// The fulfilment mode number of an order's snapshot (0 for a non-goods order).
pub fn mode_of(order: &Order) -> Result<i32, AppError> {
    let o = siyu_proto::orders::v1::Order::decode(order.snapshot.as_slice())
        .map_err(|e| AppError::Internal(format!("order snapshot: {e}")))?;
    Ok(o.fulfilment.map_or(0, |f| f.mode))
}

/// A fresh 8-digit pickup code.
fn pickup_code() -> String {
    format!("{:08}", rand::rng().random_range(0..100_000_000u32))
}

fn entry(kind: i16, from: OrderStatus, to: OrderStatus, actor: &Actor, at: i64) -> TimelineEntry {
    TimelineEntry {
        kind,
        from,
        to,
        actor: actor.kind,
        actor_id: actor.id.clone(),
        reference_id: String::new(),
        note: String::new(),
        occurred_at_ms: at,
    }
}

/// The order locked for the change, if `ctx` may see it (else ORDER_NOT_FOUND).
async fn locked(conn: &impl ConnectionTrait, ctx: &Ctx, order_id: Uuid) -> Result<Order, AppError> {
    repo::orders::get(conn, ctx.tenant, order_id, true)
        .await?
        .filter(|o| super::may_see(ctx, o.user_id, o.store_id))
        .ok_or(AppError::OrderNotFound)
}

/// Refuses a move of `order` to `to` that the state machine does not allow.
fn may_become(order: &Order, to: OrderStatus) -> Result<(), AppError> {
    if order.status.may_become(to) {
        Ok(())
    } else {
        Err(AppError::IllegalTransition { from: order.status })
    }
}

async fn reread(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<Order, AppError> {
    repo::orders::get(conn, tenant, id, false)
        .await?
        .ok_or(AppError::OrderNotFound)
}

impl App {
    /// PAID → PREPARING. A preparing order is answered as is.
    pub async fn prepare_order(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        order_id: Uuid,
    ) -> Result<Order, AppError> {
        let order = locked(conn, ctx, order_id).await?;
        if order.status == OrderStatus::Preparing {
            return Ok(order);
        }
        may_become(&order, OrderStatus::Preparing)?;
        // Nothing left to prepare while open cases cover every unit.
        if order.after_sale_state == AFTER_SALE_IN_PROGRESS
            && order
                .lines
                .iter()
                .all(|l| l.in_after_sale_quantity + l.refunded_quantity >= l.quantity)
        {
            return Err(AppError::AfterSaleInProgress);
        }
        let now = self.now_ms();
        let (from, to) = (order.status, OrderStatus::Preparing);
        if !repo::orders::set_status(conn, ctx.tenant, order_id, from, to, now).await? {
            return Err(AppError::IllegalTransition { from });
        }
        let actor = Actor::of(ctx);
        let e = entry(timeline_kind::PREPARING, from, to, &actor, now);
        repo::orders::append_timeline(conn, ctx.tenant, order_id, &e).await?;
        reread(conn, ctx.tenant, order_id).await
    }

    /// PAID | PREPARING → SHIPPED for a delivery or same-city order; OrderShipped. Shipping a
    /// shipped order again with the same tracking number answers it as is.
    pub async fn ship_order(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        order_id: Uuid,
        input: ShipInput,
    ) -> Result<Order, AppError> {
        let order = locked(conn, ctx, order_id).await?;
        if order.status == OrderStatus::Shipped
            && order
                .fulfilment
                .shipment
                .as_ref()
                .is_some_and(|s| s.tracking_no == input.tracking_no)
        {
            return Ok(order);
        }
        may_become(&order, OrderStatus::Shipped)?;
        if mode_of(&order)? == STORE_PICKUP || mode_of(&order)? == 0 {
            return Err(AppError::IllegalTransition { from: order.status });
        }
        if order.after_sale_state == AFTER_SALE_IN_PROGRESS {
            return Err(AppError::AfterSaleInProgress);
        }
        let now = self.now_ms();
        let actor = Actor::of(ctx);
        let settings = self.order_settings(conn, ctx.tenant).await?;
        let auto_complete_at = now + i64::from(settings.auto_complete_days()) * DAY_MS;
        let shipment = shipment(input, now, &actor);
        let from = order.status;
        if !store::set_shipped(
            conn,
            ctx.tenant,
            order_id,
            from,
            &shipment,
            auto_complete_at,
            now,
        )
        .await?
        {
            return Err(AppError::IllegalTransition { from });
        }
        let mut e = entry(
            timeline_kind::SHIPPED,
            from,
            OrderStatus::Shipped,
            &actor,
            now,
        );
        e.reference_id.clone_from(&shipment.tracking_no);
        repo::orders::append_timeline(conn, ctx.tenant, order_id, &e).await?;
        let shipped = reread(conn, ctx.tenant, order_id).await?;
        publish::order_shipped(conn, ctx.tenant, &shipped, &shipment, false).await?;
        Ok(shipped)
    }

    /// Corrects the carrier or tracking number of a SHIPPED order; OrderShipped again (a
    /// correction). The auto-completion time stays.
    pub async fn update_shipment(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        order_id: Uuid,
        input: ShipInput,
        note: String,
    ) -> Result<Order, AppError> {
        let order = locked(conn, ctx, order_id).await?;
        if order.status != OrderStatus::Shipped {
            return Err(AppError::IllegalTransition { from: order.status });
        }
        let now = self.now_ms();
        let actor = Actor::of(ctx);
        let before = order.fulfilment.shipment.clone().unwrap_or_default();
        let mut shipment = shipment(input, before.shipped_at_ms, &actor);
        shipment.shipped_by = before.shipped_by;
        if shipment.rider_name.is_empty() && shipment.rider_phone.is_empty() {
            shipment.rider_name = before.rider_name;
            shipment.rider_phone = before.rider_phone;
        }
        let auto_complete_at = order.auto_complete_at_ms.unwrap_or(now);
        let from = OrderStatus::Shipped;
        store::set_shipped(
            conn,
            ctx.tenant,
            order_id,
            from,
            &shipment,
            auto_complete_at,
            now,
        )
        .await?;
        let mut e = entry(timeline_kind::SHIPMENT_UPDATED, from, from, &actor, now);
        e.reference_id.clone_from(&shipment.tracking_no);
        e.note = note;
        repo::orders::append_timeline(conn, ctx.tenant, order_id, &e).await?;
        let updated = reread(conn, ctx.tenant, order_id).await?;
        publish::order_shipped(conn, ctx.tenant, &updated, &shipment, true).await?;
        Ok(updated)
    }

    /// PAID | PREPARING → READY_FOR_PICKUP for a pickup order, with a fresh pickup code unique
    /// among the tenant's open pickups; OrderReadyForPickup. A ready order is answered as is.
    pub async fn ready_for_pickup(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        order_id: Uuid,
    ) -> Result<Order, AppError> {
        let order = locked(conn, ctx, order_id).await?;
        if order.status == OrderStatus::ReadyForPickup {
            return Ok(order);
        }
        may_become(&order, OrderStatus::ReadyForPickup)?;
        if mode_of(&order)? != STORE_PICKUP {
            return Err(AppError::IllegalTransition { from: order.status });
        }
        if order.after_sale_state == AFTER_SALE_IN_PROGRESS {
            return Err(AppError::AfterSaleInProgress);
        }
        let mut code = None;
        for _ in 0..CODE_DRAWS {
            let c = pickup_code();
            if !store::pickup_code_taken(conn, ctx.tenant, &c).await? {
                code = Some(c);
                break;
            }
        }
        let code = code.ok_or_else(|| AppError::Internal("no free pickup code".into()))?;
        let now = self.now_ms();
        let settings = self.order_settings(conn, ctx.tenant).await?;
        let pickup = Pickup {
            ready_at_ms: now,
            hold_until_ms: now + i64::from(settings.pickup_hold_days()) * DAY_MS,
            picked_up_at_ms: None,
            verified_by: String::new(),
        };
        let from = order.status;
        let to = OrderStatus::ReadyForPickup;
        if !store::set_ready(conn, ctx.tenant, order_id, from, &code, &pickup, now).await? {
            return Err(AppError::IllegalTransition { from });
        }
        let actor = Actor::of(ctx);
        let e = entry(timeline_kind::READY_FOR_PICKUP, from, to, &actor, now);
        repo::orders::append_timeline(conn, ctx.tenant, order_id, &e).await?;
        let ready = reread(conn, ctx.tenant, order_id).await?;
        publish::order_ready_for_pickup(conn, ctx.tenant, &ready, &code, &pickup).await?;
        Ok(ready)
    }

    /// Verifies `code` at `store_id` and completes its order (READY_FOR_PICKUP → COMPLETED).
    /// Answers the order and whether it had been verified already (a double scan of a code
    /// whose order is named in `order_id`). Unknown codes, codes of another store, and a code
    /// of another order than `order_id` are PICKUP_CODE_INVALID; after ten codes the store
    /// never issued, by one caller in ten minutes, every code is PICKUP_CODE_ATTEMPTS_EXCEEDED
    /// until the window ends (eight digits are not to be guessed at a counter; a double scan
    /// of a real code is no guess).
    pub async fn verify_pickup(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        store_id: Uuid,
        code: &str,
        order_id: Option<Uuid>,
    ) -> Result<(Order, bool), AppError> {
        let Some(limits) = &self.limits else {
            return self.verify_code(conn, ctx, store_id, code, order_id).await;
        };
        let key = format!(
            "pickup_misses:{}:{store_id}:{}",
            ctx.tenant, ctx.principal.subject
        );
        let window = Some(std::time::Duration::from_secs(600));
        let limited = |e: siyu_store::StoreError| AppError::Internal(format!("limits: {e}"));
        if limits.incr(&key, 0, window).await.map_err(limited)? >= PICKUP_MISSES {
            return Err(AppError::PickupCodeAttemptsExceeded);
        }
        let answer = self.verify_code(conn, ctx, store_id, code, order_id).await;
        if matches!(answer, Err(AppError::PickupCodeInvalid))
            && !store::pickup_code_known(conn, ctx.tenant, store_id, code).await?
        {
            limits.incr(&key, 1, window).await.map_err(limited)?;
        }
        answer
    }

    async fn verify_code(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        store_id: Uuid,
        code: &str,
        order_id: Option<Uuid>,
    ) -> Result<(Order, bool), AppError> {
        let Some(order) = store::by_open_pickup_code(conn, ctx.tenant, code).await? else {
            // A retry after success: the named order was completed with this code.
            if let Some(id) = order_id
                && let Some(done) = repo::orders::get(conn, ctx.tenant, id, false).await?
                && done.status == OrderStatus::Completed
                && done.store_id == Some(store_id)
                && done.pickup_code.as_deref() == Some(code)
                && super::may_see(ctx, done.user_id, done.store_id)
            {
                return Ok((done, true));
            }
            return Err(AppError::PickupCodeInvalid);
        };
        if order.store_id != Some(store_id)
            || order_id.is_some_and(|id| id != order.id)
            || !super::may_see(ctx, order.user_id, order.store_id)
        {
            return Err(AppError::PickupCodeInvalid);
        }
        if order.after_sale_state == AFTER_SALE_IN_PROGRESS {
            return Err(AppError::AfterSaleInProgress);
        }
        let actor = Actor::of(ctx);
        let mut pickup = order.fulfilment.pickup.clone().unwrap_or_default();
        pickup.picked_up_at_ms = Some(self.now_ms());
        pickup.verified_by.clone_from(&actor.id);
        let done = self
            .complete(
                conn,
                ctx.tenant,
                order,
                &actor,
                CompletedBy::PickupVerified,
                Some(&pickup),
            )
            .await?;
        Ok((done, false))
    }

    /// SHIPPED → COMPLETED by the consumer (confirming receipt) or staff; a completed order is
    /// answered as is.
    pub async fn complete_order(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        order_id: Uuid,
    ) -> Result<Order, AppError> {
        let order = locked(conn, ctx, order_id).await?;
        if order.status == OrderStatus::Completed {
            return Ok(order);
        }
        // Pickup orders complete by their code; SHIPPED is the only way here.
        if order.status != OrderStatus::Shipped {
            return Err(AppError::IllegalTransition { from: order.status });
        }
        let by = if ctx.principal.kind == PrincipalKind::Consumer {
            CompletedBy::Member
        } else {
            if order.after_sale_state == AFTER_SALE_IN_PROGRESS {
                return Err(AppError::AfterSaleInProgress);
            }
            CompletedBy::Staff
        };
        self.complete(conn, ctx.tenant, order, &Actor::of(ctx), by, None)
            .await
    }

    /// Completes the SHIPPED order `order_id` whose auto-completion time has come (its own
    /// transaction); false when it no longer is due.
    pub async fn auto_complete(&self, tenant: TenantId, order_id: Uuid) -> Result<bool, AppError> {
        let txn = siyu_store::db::begin_write(&self.db).await?;
        let Some(order) = repo::orders::get(&txn, tenant, order_id, true).await? else {
            return Ok(false);
        };
        let due = order.status == OrderStatus::Shipped
            && order
                .auto_complete_at_ms
                .is_some_and(|at| at <= self.now_ms());
        if !due {
            return Ok(false);
        }
        self.complete(
            &txn,
            tenant,
            order,
            &Actor::system(),
            CompletedBy::Auto,
            None,
        )
        .await?;
        txn.commit().await?;
        Ok(true)
    }

    /// Completes the PAID non-goods order `order_id` once membership applied what it bought
    /// (its own transaction); a completed order is answered as is.
    pub async fn complete_purchase(
        &self,
        tenant: TenantId,
        order_id: Uuid,
    ) -> Result<Order, AppError> {
        let txn = siyu_store::db::begin_write(&self.db).await?;
        let order = repo::orders::get(&txn, tenant, order_id, true)
            .await?
            .ok_or(AppError::OrderNotFound)?;
        if order.status == OrderStatus::Completed {
            return Ok(order);
        }
        let done = self
            .complete(
                &txn,
                tenant,
                order,
                &Actor::system(),
                CompletedBy::PurchaseApplied,
                None,
            )
            .await?;
        txn.commit().await?;
        Ok(done)
    }

    /// Settles the completed order `order_id` whose after-sales window has closed with no case
    /// open (its own transaction): `settled_at`, a SETTLED entry and OrderSettled, on which
    /// membership settles commission and completion-credited points. False when it is not due.
    pub async fn settle_completed(
        &self,
        tenant: TenantId,
        order_id: Uuid,
    ) -> Result<bool, AppError> {
        let txn = siyu_store::db::begin_write(&self.db).await?;
        let Some(order) = repo::orders::get(&txn, tenant, order_id, true).await? else {
            return Ok(false);
        };
        let now = self.now_ms();
        let due = order.status == OrderStatus::Completed
            && order.settled_at_ms.is_none()
            && order.after_sale_state != AFTER_SALE_IN_PROGRESS
            && order.after_sale_deadline_ms.is_some_and(|at| at <= now);
        if !due || !store::set_settled(&txn, tenant, order_id, now).await? {
            return Ok(false);
        }
        let s = OrderStatus::Completed;
        let e = entry(timeline_kind::SETTLED, s, s, &Actor::system(), now);
        repo::orders::append_timeline(&txn, tenant, order_id, &e).await?;
        let settled = reread(&txn, tenant, order_id).await?;
        publish::order_settled(&txn, tenant, &settled).await?;
        txn.commit().await?;
        Ok(true)
    }

    /// Moves the locked `order` to COMPLETED: the after-sales window starts; OrderCompleted.
    async fn complete(
        &self,
        conn: &impl ConnectionTrait,
        tenant: TenantId,
        order: Order,
        actor: &Actor,
        by: CompletedBy,
        pickup: Option<&Pickup>,
    ) -> Result<Order, AppError> {
        may_become(&order, OrderStatus::Completed)?;
        let now = self.now_ms();
        let settings = self.order_settings(conn, tenant).await?;
        let deadline = now + i64::from(settings.after_sale_window_days.max(0)) * DAY_MS;
        let from = order.status;
        if !store::set_completed(conn, tenant, order.id, from, deadline, pickup, now).await? {
            return Err(AppError::IllegalTransition { from });
        }
        let to = OrderStatus::Completed;
        if by == CompletedBy::PickupVerified {
            let e = entry(timeline_kind::PICKED_UP, from, to, actor, now);
            repo::orders::append_timeline(conn, tenant, order.id, &e).await?;
        }
        let e = entry(timeline_kind::COMPLETED, from, to, actor, now);
        repo::orders::append_timeline(conn, tenant, order.id, &e).await?;
        let done = reread(conn, tenant, order.id).await?;
        publish::order_completed(conn, tenant, &done, by.number()).await?;
        Ok(done)
    }
}

/// The shipment of `input` shipped at `at` by `actor`.
fn shipment(input: ShipInput, at: i64, actor: &Actor) -> Shipment {
    Shipment {
        carrier_name: if input.carrier_name.is_empty() {
            input.carrier_code.clone()
        } else {
            input.carrier_name
        },
        carrier_code: input.carrier_code,
        tracking_no: input.tracking_no,
        rider_name: input.rider_name,
        rider_phone: input.rider_phone,
        shipped_at_ms: at,
        shipped_by: actor.id.clone(),
    }
}
