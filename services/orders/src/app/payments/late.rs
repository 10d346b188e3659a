//! A payment that succeeded for an order no longer waiting for it: the PSP's close raced the
//! payer (the order is CANCELLED), or a second attempt paid an order already paid. The inbox
//! records the success with a LatePayment PENDING and schedules the task `late:<payment_id>`;
//! the task resolves it exactly once:
//!
//! - a second payment of a paid order → refunded in full (DUPLICATE_REFUNDED);
//! - the tenant's policy ALWAYS_REFUND → refunded in full (REFUNDED, LATE_PAYMENT_POLICY);
//! - otherwise the order is revived: what its checkout took is taken again (stock, coupons,
//!   points, stored value, each with `revive` and keyed by the order), and one transaction
//!   moves it CANCELLED → PAID with a REVIVED entry, OrderPaid (`revived`) and `settle_paid`;
//!   an owner refusing (INSUFFICIENT_STOCK, COUPON_EXPIRED …) gives back what was retaken and
//!   refunds the payment in full with that reason.
//!
//! The cancellation's release runs first (it is idempotent), so it can never give back what the
//! revival took. A peer that cannot be reached fails the task, which the jobs pass retries.

use prost::Message as _;
use siyu_core::TenantId;
use siyu_proto::common::v1 as common;
use siyu_proto::membership::v1 as membership;
use siyu_proto::orders::v1 as pb;
use uuid::Uuid;

use super::{LatePayment, LateResolution, Payment};
use crate::AppError;
use crate::app::App;
use crate::app::checkout::remote::{StockFrom, StockLine};
use crate::app::orders::model::{ActorKind, Order, OrderKind, TimelineEntry, timeline_kind};
use crate::app::orders::paid::SETTLE_PAID;
use crate::app::orders::status::OrderStatus;
use crate::repo;

/// The prefix of late-payment tasks' kind.
pub const TASK_PREFIX: &str = "late:";

/// `LatePaymentPolicy` ALWAYS_REFUND.
const ALWAYS_REFUND: i32 = 2;

/// `RefundReason` numbers of refunds that are not the order's.
pub mod refund_reason {
    /// A payment after the order was cancelled, not revived.
    pub const LATE_PAYMENT: i16 = 3;
    /// A second payment of a paid order.
    pub const DUPLICATE_PAYMENT: i16 = 4;
}

/// The task kind resolving payment `id`.
pub fn task_kind(id: Uuid) -> String {
    format!("{TASK_PREFIX}{id}")
}

/// How a late payment ends.
enum Resolution {
    Revive,
    Refund {
        resolution: LateResolution,
        reason: String,
    },
}

impl App {
    /// The task `kind` of `order_id`: resolves its payment, then is done.
    pub async fn run_late_payment_task(
        &self,
        tenant: TenantId,
        order_id: Uuid,
        kind: &str,
    ) -> Result<(), AppError> {
        let id: Uuid = kind
            .strip_prefix(TASK_PREFIX)
            .and_then(|id| id.parse().ok())
            .ok_or_else(|| AppError::Internal(format!("late payment task {kind}")))?;
        self.resolve_late_payment(tenant, id).await?;
        repo::tasks::done(&self.db, tenant, order_id, kind, self.now_ms()).await
    }

    /// Resolves the late payment `id` (see the module docs); one already resolved is left.
    pub async fn resolve_late_payment(&self, tenant: TenantId, id: Uuid) -> Result<(), AppError> {
        let payment = repo::payments::attempts::get(&self.db, tenant, id, false)
            .await?
            .ok_or_else(|| AppError::Internal(format!("late payment {id} not found")))?;
        let Some(late) = payment.late_payment.clone() else {
            return Ok(());
        };
        if late.resolution != LateResolution::Pending {
            return Ok(());
        }
        let order = repo::orders::get(&self.db, tenant, payment.order_id, false)
            .await?
            .ok_or(AppError::OrderNotFound)?;
        let resolution = match self.decide(tenant, &order).await? {
            Resolution::Revive => match self.retake(tenant, &order, id).await {
                Ok(()) => return self.revive(tenant, &payment, &late).await,
                Err(AppError::Refused { reason, .. }) => {
                    let taken = repo::checkouts::taken_of_order(&self.db, tenant, order.id)
                        .await?
                        .unwrap_or_default();
                    self.release_taken(tenant, order.id, taken, "LATE_PAYMENT_REFUNDED", Some(id))
                        .await?;
                    Resolution::Refund {
                        resolution: LateResolution::Refunded,
                        reason,
                    }
                }
                Err(e) => return Err(e),
            },
            refund => refund,
        };
        let Resolution::Refund { resolution, reason } = resolution else {
            return Ok(());
        };
        self.refund_late(tenant, &order, &payment, &late, resolution, &reason)
            .await
    }

    /// Revive or refund, before anything is taken.
    async fn decide(&self, tenant: TenantId, order: &Order) -> Result<Resolution, AppError> {
        if order.status != OrderStatus::Cancelled {
            return Ok(Resolution::Refund {
                resolution: LateResolution::DuplicateRefunded,
                reason: String::new(),
            });
        }
        let settings = self.order_settings(&self.db, tenant).await?;
        if settings.late_payment_policy == ALWAYS_REFUND {
            return Ok(Resolution::Refund {
                resolution: LateResolution::Refunded,
                reason: "LATE_PAYMENT_POLICY".into(),
            });
        }
        // What the cancellation gave back must be back before it is taken again.
        self.release_order(tenant, order.id).await?;
        Ok(Resolution::Revive)
    }

    /// Takes again what the order's checkout took, each with `revive`; the first refusal is
    /// the answer.
    async fn retake(&self, tenant: TenantId, order: &Order, late: Uuid) -> Result<(), AppError> {
        if order.kind != OrderKind::Goods {
            return Ok(());
        }
        let taken = repo::checkouts::taken_of_order(&self.db, tenant, order.id)
            .await?
            .unwrap_or_default();
        let snapshot = pb::Order::decode(order.snapshot.as_slice())
            .map_err(|e| AppError::Internal(format!("order snapshot: {e}")))?;
        let lines: Vec<pb::PricedLine> = order
            .lines
            .iter()
            .map(|l| pb::PricedLine::decode(l.priced.as_slice()))
            .collect::<Result<_, _>>()
            .map_err(|e| AppError::Internal(format!("line snapshot: {e}")))?;
        if taken.stock {
            let stock: Vec<StockLine> = order
                .lines
                .iter()
                .filter_map(|l| {
                    Some(StockLine {
                        sku_id: l.sku_id?,
                        quantity: l.quantity,
                    })
                })
                .collect();
            let ttl = self
                .order_settings(&self.db, tenant)
                .await?
                .unpaid_timeout_seconds()
                + 300;
            self.reserve_stock(
                tenant,
                order.id,
                &stock,
                &stock_from(&snapshot),
                ttl,
                Some(late),
            )
            .await?;
        }
        let member = order.member_id.unwrap_or_default();
        if taken.coupons {
            let ids: Vec<Uuid> = snapshot
                .coupon_ids
                .iter()
                .filter_map(|c| c.parse().ok())
                .collect();
            let context = order_context(&snapshot, &lines);
            self.lock_coupons(tenant, member, &ids, order.id, context, Some(late))
                .await?;
        }
        if taken.points {
            let points = lines.iter().map(|l| l.points_used).sum();
            self.hold_points(tenant, member, order.id, points, Some(late))
                .await?;
        }
        if taken.stored_value {
            let fen = snapshot
                .amounts
                .as_ref()
                .and_then(|a| a.stored_value_amount.as_ref())
                .map_or(0, |m| m.minor_units);
            self.hold_stored_value(tenant, member, order.id, fen, Some(late))
                .await?;
        }
        Ok(())
    }

    /// CANCELLED → PAID by `payment`, in one transaction with its record REVIVED.
    async fn revive(
        &self,
        tenant: TenantId,
        payment: &Payment,
        late: &LatePayment,
    ) -> Result<(), AppError> {
        let txn = siyu_store::db::begin_write(&self.db).await?;
        if !still_pending(&txn, tenant, payment.id).await? {
            return Ok(());
        }
        let now = self.now_ms();
        let paid_at = payment.paid_at_ms.unwrap_or(now);
        if !repo::orders::revive(
            &txn,
            tenant,
            payment.order_id,
            payment.amount_fen,
            paid_at,
            now,
        )
        .await?
        {
            return Err(AppError::Internal(format!(
                "order {} not cancelled at revival",
                payment.order_id
            )));
        }
        repo::orders::append_timeline(
            &txn,
            tenant,
            payment.order_id,
            &TimelineEntry {
                kind: timeline_kind::REVIVED,
                from: OrderStatus::Cancelled,
                to: OrderStatus::Paid,
                actor: ActorKind::Psp,
                actor_id: String::new(),
                reference_id: payment.id.to_string(),
                note: String::new(),
                occurred_at_ms: now,
            },
        )
        .await?;
        repo::tasks::schedule(&txn, tenant, payment.order_id, SETTLE_PAID, now).await?;
        let resolved = LatePayment {
            resolution: LateResolution::Revived,
            resolved_at_ms: Some(now),
            ..late.clone()
        };
        repo::payments::attempts::set_late(&txn, tenant, payment.id, &resolved, now).await?;
        let order = repo::orders::get(&txn, tenant, payment.order_id, false)
            .await?
            .ok_or(AppError::OrderNotFound)?;
        crate::events::publish::order_paid(
            &txn,
            tenant,
            &order,
            &payment.id.to_string(),
            siyu_proto::events::v1::OrderPaymentProvider::WechatPay as i32,
            &payment.psp_transaction_id,
            true,
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Records the full refund of `payment` (its task runs it) and resolves the record.
    async fn refund_late(
        &self,
        tenant: TenantId,
        order: &Order,
        payment: &Payment,
        late: &LatePayment,
        resolution: LateResolution,
        reason: &str,
    ) -> Result<(), AppError> {
        let txn = siyu_store::db::begin_write(&self.db).await?;
        if !still_pending(&txn, tenant, payment.id).await? {
            return Ok(());
        }
        let now = self.now_ms();
        let refund_reason = if resolution == LateResolution::DuplicateRefunded {
            refund_reason::DUPLICATE_PAYMENT
        } else {
            refund_reason::LATE_PAYMENT
        };
        let refund_id = crate::app::refunds::create_for_payment(
            &txn,
            tenant,
            order,
            payment,
            refund_reason,
            now,
        )
        .await?;
        let resolved = LatePayment {
            resolution,
            refund_id: refund_id.to_string(),
            revive_failure_reason: reason.to_owned(),
            resolved_at_ms: Some(now),
            ..late.clone()
        };
        repo::payments::attempts::set_late(&txn, tenant, payment.id, &resolved, now).await?;
        txn.commit().await?;
        self.kick_refund(tenant, refund_id);
        Ok(())
    }
}

/// Whether the payment's late record is still PENDING, its row locked until `conn` ends: two
/// resolvers of one payment serialise here and the second finds it resolved.
async fn still_pending(
    conn: &impl sea_orm::ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<bool, AppError> {
    Ok(repo::payments::attempts::get(conn, tenant, id, true)
        .await?
        .and_then(|p| p.late_payment)
        .is_some_and(|l| l.resolution == LateResolution::Pending))
}

/// Where the order's stock came from, as its snapshot's fulfilment says.
fn stock_from(snapshot: &pb::Order) -> StockFrom {
    let f = snapshot.fulfilment.clone().unwrap_or_default();
    let store = f.store_id.parse().ok();
    match (pb::FulfilmentMode::try_from(f.mode), store) {
        (Ok(pb::FulfilmentMode::StorePickup), Some(store)) => StockFrom::PickupStore(store),
        (Ok(pb::FulfilmentMode::SameCity), Some(store)) => StockFrom::Location(store),
        _ => StockFrom::Delivery {
            at: f
                .address
                .and_then(|a| a.location)
                .map(|g| (g.latitude, g.longitude)),
        },
    }
}

/// The order as membership's coupon rules read it, from what was priced.
fn order_context(snapshot: &pb::Order, lines: &[pb::PricedLine]) -> membership::OrderContext {
    let f = snapshot.fulfilment.clone().unwrap_or_default();
    membership::OrderContext {
        store_id: f.store_id,
        channel: snapshot.attribution.as_ref().map_or(0, |a| a.channel),
        lines: lines
            .iter()
            .map(|l| membership::OrderContextLine {
                sku_id: l.sku_id.clone(),
                category_ids: l.category_ids.clone(),
                quantity: l.quantity,
                subtotal: Some(common::Money {
                    minor_units: l.unit_price.as_ref().map_or(0, |m| m.minor_units)
                        * i64::from(l.quantity),
                    currency_code: "CNY".into(),
                }),
            })
            .collect(),
        shipping_fee: None,
        in_store: false,
    }
}
