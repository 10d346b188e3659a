//! The checkout saga (see the contract's `CheckoutService.Checkout`): claim the idempotency
//! key → price as Quote does → compare with what the consumer saw → reserve stock → lock
//! coupons → hold points → hold stored value → create the order, its payment and OrderCreated
//! in one local transaction. Every remote step is recorded before it is called and keyed by
//! the order id at the peer, so a failure gives back exactly what was taken and a process that
//! dies mid-saga leaves a record the recovery releases.

use siyu_core::Ctx;
use uuid::Uuid;

use super::pay::NextAction;
use super::quote::{Priced, QuoteRequest, Source};
use super::record::{CheckoutRecord, CheckoutState, Claim, Taken};
use super::remote::{StockFrom, StockLine};
use crate::AppError;
use crate::app::App;
use crate::app::carts::FulfilmentMode;
use crate::app::orders::model::{
    ActorKind, Order, OrderKind, OrderLine, TimelineEntry, timeline_kind,
};
use crate::app::orders::number::order_no;
use crate::app::orders::status::OrderStatus;
use crate::app::pricing;
use crate::repo;

/// A checkout request, decoded.
#[derive(Debug, Clone)]
pub struct CheckoutRequest {
    /// What to buy, as quoted.
    pub quote: QuoteRequest,
    /// The payable the consumer saw, fen.
    pub expected_payable_fen: i64,
    /// Where the order came from (the contract's `Attribution`, encoded).
    pub attribution: Attribution,
    /// Note to the store.
    pub buyer_note: String,
    /// The mini-program the consumer pays in (empty: the tenant's default).
    pub app_id: String,
}

/// Where an order came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attribution {
    /// Channel number.
    pub channel: i32,
    /// Scene code.
    pub scene_code: String,
    /// Store.
    pub store_id: String,
    /// Guide of the visit; the member's exclusive guide when the visit had none.
    pub guide_id: String,
    /// Campaign.
    pub campaign_id: String,
    /// Referrer.
    pub referrer_user_id: String,
    /// Content.
    pub content_id: String,
    /// Share link.
    pub share_link_id: String,
}

/// The order's immutable snapshot in the contract's encoding: the order and each line.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Encoded `siyu.orders.v1.Order` (priced content, fulfilment, attribution, note).
    pub order: Vec<u8>,
    /// Encoded `siyu.orders.v1.PricedLine` per line, in order.
    pub lines: Vec<Vec<u8>>,
}

/// Encodes what was priced for an order (the wire layer knows the encoding).
pub type Encode = fn(&Priced, &Attribution, &str) -> Snapshot;

/// What checkout answers.
#[derive(Debug, Clone)]
pub struct Placed {
    /// The order, as it stands after its payment was started.
    pub order: Order,
    /// What the client does next.
    pub next: NextAction,
}

/// The reason a checkout failed, kept on its record.
fn failure_reason(err: &AppError) -> String {
    err.to_string().chars().take(200).collect()
}

impl App {
    /// Places an order for the calling consumer under idempotency key `key` (`request_hash`
    /// identifies the request). See the module docs for the steps.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn checkout(
        &self,
        ctx: &Ctx,
        key: &str,
        request_hash: &str,
        request: &CheckoutRequest,
        encode: Encode,
    ) -> Result<Placed, AppError> {
        let user_id = crate::app::carts::consumer(ctx)?;
        let tenant = ctx.tenant;
        let order_id = siyu_core::id::new();
        let record = match repo::checkouts::claim(
            &self.db,
            tenant,
            key,
            request_hash,
            user_id,
            order_id,
            self.now_ms(),
        )
        .await?
        {
            Claim::InProgress => return Err(AppError::CheckoutInProgress),
            Claim::Created(record) => {
                // A retry of a created order: its payment is started again (a live prepay is
                // reused), so a client that lost the answer can still pay.
                let order = repo::orders::get(&self.db, tenant, record.order_id, false)
                    .await?
                    .ok_or_else(|| AppError::Internal("created checkout without order".into()))?;
                return self.paying(tenant, order, request).await;
            }
            Claim::Run(record) => record,
        };
        match self.run(ctx, &record, request, encode).await {
            Ok(order) => self.paying(tenant, order, request).await,
            Err((err, taken)) => {
                // Give back what was taken; a release that fails is retried by the recovery,
                // which finds the record still running (it is marked failed only once clean).
                match self
                    .release_taken(tenant, record.order_id, taken, "CHECKOUT_FAILED", None)
                    .await
                {
                    Ok(()) => {
                        repo::checkouts::finish(
                            &self.db,
                            tenant,
                            record.order_id,
                            CheckoutState::Failed,
                            &failure_reason(&err),
                            self.now_ms(),
                        )
                        .await?;
                    }
                    Err(release) => {
                        tracing::warn!(error = %release, order = %record.order_id,
                            "checkout release failed; the recovery retries it");
                    }
                }
                Err(err)
            }
        }
    }

    /// Step 11: the order with its payment started.
    async fn paying(
        &self,
        tenant: siyu_core::TenantId,
        order: Order,
        request: &CheckoutRequest,
    ) -> Result<Placed, AppError> {
        let stored_value = stored_value_of(&order);
        let next = self
            .start_payment(tenant, &order, stored_value, &request.app_id, "订单支付")
            .await?;
        let order = if matches!(next, NextAction::Nothing) {
            repo::orders::get(&self.db, tenant, order.id, false)
                .await?
                .unwrap_or(order)
        } else {
            order
        };
        Ok(Placed { order, next })
    }

    /// Steps 2–10 of the saga; on failure answers the error and what may be held.
    async fn run(
        &self,
        ctx: &Ctx,
        record: &CheckoutRecord,
        request: &CheckoutRequest,
        encode: Encode,
    ) -> Result<Order, (AppError, Taken)> {
        let tenant = ctx.tenant;
        let order_id = record.order_id;
        let mut taken = Taken::default();
        let fail = |taken: Taken| move |err: AppError| (err, taken);
        let priced = self.quote(ctx, &request.quote).await.map_err(fail(taken))?;
        let quote = &priced.quote;
        if !quote.shipping.deliverable {
            return Err((
                AppError::Undeliverable(quote.shipping.undeliverable_reason.clone()),
                taken,
            ));
        }
        let payable = quote.amounts.payable;
        if payable != request.expected_payable_fen {
            return Err((
                AppError::PriceChanged {
                    expected: request.expected_payable_fen,
                    current: payable,
                },
                taken,
            ));
        }
        let settings = self
            .order_settings(&self.db, tenant)
            .await
            .map_err(fail(taken))?;
        let timeout_secs = settings.unpaid_timeout_seconds();
        let locations = if priced.kind == OrderKind::Goods {
            self.take_stock(tenant, order_id, &priced, timeout_secs, &mut taken)
                .await?
        } else {
            // A plan takes nothing; what activation needs besides the order is kept with it.
            taken.plan_auto_renew = matches!(
                request.quote.source,
                Source::PaidPlan {
                    auto_renew: true,
                    ..
                }
            );
            self.record_taken(tenant, order_id, taken).await?;
            Vec::new()
        };
        let member = priced.buyer.member_id;
        if !quote.applied_coupon_ids.is_empty() {
            let member = member.ok_or((AppError::MemberRequired, taken))?;
            taken.coupons = true;
            self.record_taken(tenant, order_id, taken).await?;
            let ids: Vec<Uuid> = quote
                .applied_coupon_ids
                .iter()
                .filter_map(|c| c.parse().ok())
                .collect();
            let pricing::input::Goods::Lines(lines) = &priced.input.goods else {
                return Err((AppError::Internal("coupons on a plan".into()), taken));
            };
            let context =
                super::quote::order_context(lines, &priced.fulfilment, request.quote.channel);
            self.lock_coupons(tenant, member, &ids, order_id, context, None)
                .await
                .map_err(fail(taken))?;
        }
        if quote.points.used > 0 {
            let member = member.ok_or((AppError::MemberRequired, taken))?;
            taken.points = true;
            self.record_taken(tenant, order_id, taken).await?;
            self.hold_points(tenant, member, order_id, quote.points.used, None)
                .await
                .map_err(fail(taken))?;
        }
        if quote.amounts.stored_value_amount > 0 {
            let member = member.ok_or((AppError::MemberRequired, taken))?;
            taken.stored_value = true;
            self.record_taken(tenant, order_id, taken).await?;
            self.hold_stored_value(
                tenant,
                member,
                order_id,
                quote.amounts.stored_value_amount,
                None,
            )
            .await
            .map_err(fail(taken))?;
        }
        let mut attribution = request.attribution.clone();
        attribution.channel = request.quote.channel;
        if attribution.guide_id.is_empty()
            && let Some(guide) = &priced.buyer.guide_id
        {
            attribution.guide_id.clone_from(guide);
        }
        let snapshot = encode(&priced, &attribution, &request.buyer_note);
        let now = self.now_ms();
        let mut order = Order {
            id: order_id,
            order_no: String::new(),
            kind: priced.kind,
            user_id: record.user_id,
            member_id: member,
            store_id: priced.fulfilment.store_id,
            status: OrderStatus::PendingPayment,
            after_sale_state: 1,
            payable_fen: payable,
            paid_fen: 0,
            refunded_fen: 0,
            pickup_code: None,
            fulfilment: Default::default(),
            payment_deadline_ms: Some(now + i64::from(timeout_secs) * 1000),
            paid_at_ms: None,
            auto_complete_at_ms: None,
            completed_at_ms: None,
            after_sale_deadline_ms: None,
            settled_at_ms: None,
            cancellation: None,
            snapshot: snapshot.order,
            version: 1,
            created_at_ms: now,
            updated_at_ms: now,
            lines: quote
                .lines
                .iter()
                .zip(snapshot.lines)
                .enumerate()
                .map(|(i, (l, bytes))| {
                    let sku = l.sku_id.parse().ok();
                    OrderLine {
                        id: siyu_core::id::new(),
                        line_no: i32::try_from(i).unwrap_or(i32::MAX),
                        sku_id: sku,
                        quantity: l.quantity,
                        location_id: locations
                            .iter()
                            .find(|(s, _)| Some(*s) == sku)
                            .map(|(_, loc)| loc.clone())
                            .unwrap_or_default(),
                        net_fen: l.net_amount,
                        refunded_quantity: 0,
                        in_after_sale_quantity: 0,
                        refunded_fen: 0,
                        refunded_points: 0,
                        priced: bytes,
                    }
                })
                .collect(),
            timeline: vec![TimelineEntry {
                kind: timeline_kind::CREATED,
                from: OrderStatus::PendingPayment,
                to: OrderStatus::PendingPayment,
                actor: ActorKind::Member,
                actor_id: record.user_id.to_string(),
                reference_id: String::new(),
                note: String::new(),
                occurred_at_ms: now,
            }],
        };
        self.create_order(ctx, &mut order, &priced)
            .await
            .map_err(fail(taken))?;
        Ok(order)
    }

    /// Step 6: the goods' stock reserved, recorded first so that a crash between the call and
    /// the record cannot leak it; answers the location each SKU was allocated to.
    async fn take_stock(
        &self,
        tenant: siyu_core::TenantId,
        order_id: Uuid,
        priced: &Priced,
        timeout_secs: i32,
        taken: &mut Taken,
    ) -> Result<Vec<(Uuid, String)>, (AppError, Taken)> {
        taken.stock = true;
        self.record_taken(tenant, order_id, *taken).await?;
        let quote = &priced.quote;
        let stock_lines: Vec<StockLine> = quote
            .lines
            .iter()
            .filter_map(|l| {
                Some(StockLine {
                    sku_id: l.sku_id.parse().ok()?,
                    quantity: l.quantity,
                })
            })
            .collect();
        let from = match (priced.fulfilment.mode, priced.fulfilment.store_id) {
            (FulfilmentMode::StorePickup, Some(store)) => StockFrom::PickupStore(store),
            (FulfilmentMode::SameCity, Some(store)) => StockFrom::Location(store),
            _ => StockFrom::Delivery {
                at: priced
                    .fulfilment
                    .address
                    .as_ref()
                    .and_then(|a| a.location)
                    .map(|g| (g.latitude, g.longitude)),
            },
        };
        self.reserve_stock(
            tenant,
            order_id,
            &stock_lines,
            &from,
            timeout_secs + 300,
            None,
        )
        .await
        .map_err(|e| (store_unavailable(e, priced.fulfilment.store_id), *taken))
    }

    async fn record_taken(
        &self,
        tenant: siyu_core::TenantId,
        order_id: Uuid,
        taken: Taken,
    ) -> Result<(), (AppError, Taken)> {
        repo::checkouts::set_taken(&self.db, tenant, order_id, taken, self.now_ms())
            .await
            .map_err(|e| (e, taken))
    }

    /// Step 10: the order, its lines, timeline and OrderCreated in one transaction, with the
    /// checkout record marked created and the bought lines out of the cart. An order number
    /// already taken is drawn again.
    async fn create_order(
        &self,
        ctx: &Ctx,
        order: &mut Order,
        priced: &Priced,
    ) -> Result<(), AppError> {
        use sea_orm::TransactionTrait as _;
        let tenant = ctx.tenant;
        for _ in 0..5 {
            order.order_no = order_no(self.clock.now());
            let tx = self.db.begin().await?;
            if !repo::orders::insert(&tx, tenant, order).await? {
                tx.rollback().await?;
                continue;
            }
            repo::carts::remove(&tx, tenant, order.user_id, Some(&priced.cart_lines)).await?;
            crate::events::publish::order_created(&tx, tenant, order).await?;
            if !repo::checkouts::finish(
                &tx,
                tenant,
                order.id,
                CheckoutState::Created,
                "",
                order.created_at_ms,
            )
            .await?
            {
                return Err(AppError::Internal("checkout record not running".into()));
            }
            tx.commit().await?;
            return Ok(());
        }
        Err(AppError::Internal("no free order number".into()))
    }
}

/// Catalog answering LOCATION_NOT_FOUND for the store means the store is no inventory
/// location: the caller sees STORE_UNAVAILABLE.
fn store_unavailable(err: AppError, store: Option<Uuid>) -> AppError {
    match (&err, store) {
        (AppError::Refused { reason, .. }, Some(store)) if reason == "LOCATION_NOT_FOUND" => {
            AppError::StoreUnavailable(store)
        }
        _ => err,
    }
}

/// The stored value an order's snapshot says it uses, fen.
fn stored_value_of(order: &Order) -> i64 {
    use prost::Message as _;
    siyu_proto::orders::v1::Order::decode(order.snapshot.as_slice())
        .ok()
        .and_then(|o| o.amounts)
        .and_then(|a| a.stored_value_amount)
        .map_or(0, |m| m.minor_units)
}
