//! PreviewAfterSale and RequestAfterSale: the order's refundable state per line, the case a
//! request would open, and opening it — under the order's row lock, with the units taken from
//! the lines by a guarded update, approved at once when it is a refund before shipment.

use prost::Message as _;
use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, PrincipalKind};
use siyu_proto::orders::v1 as pb;
use uuid::Uuid;

use super::AfterSaleError;
use super::model::{Case, Extra, Kind, Status};
use super::split::{self, Computed, LineFunds};
use crate::AppError;
use crate::app::App;
use crate::app::orders::model::{ActorKind, Order, OrderKind, TimelineEntry};
use crate::app::orders::status::OrderStatus;
use crate::repo;

/// `TimelineEntryKind` numbers of after-sales.
pub mod timeline_kind {
    /// A case was opened.
    pub const REQUESTED: i16 = 12;
    /// A case was approved.
    pub const APPROVED: i16 = 13;
    /// A case was rejected.
    pub const REJECTED: i16 = 14;
    /// A case was withdrawn.
    pub const CANCELLED: i16 = 15;
    /// Money went back.
    pub const REFUNDED: i16 = 16;
}

/// `OrderAfterSaleState` numbers.
pub mod order_state {
    /// No case.
    pub const NONE: i16 = 1;
    /// A case is open.
    pub const IN_PROGRESS: i16 = 2;
    /// Partly refunded.
    pub const PARTIALLY_REFUNDED: i16 = 3;
    /// Refunded in full.
    pub const FULLY_REFUNDED: i16 = 4;
    /// Cases ended without refund.
    pub const ENDED_WITHOUT_REFUND: i16 = 5;
}

/// What a consumer or staff asks for.
#[derive(Debug, Clone)]
pub struct Ask {
    /// The order.
    pub order_id: Uuid,
    /// The kind.
    pub kind: Kind,
    /// (line, units); empty = everything refundable.
    pub lines: Vec<(Uuid, i32)>,
    /// `AfterSaleReason` number.
    pub reason: i16,
    /// Description.
    pub description: String,
    /// Evidence URLs.
    pub evidence: Vec<String>,
    /// A lower amount, fen.
    pub requested_fen: Option<i64>,
}

/// A preview: the case as it would be and every line's refundable state.
#[derive(Debug, Clone)]
pub struct Preview {
    /// The computed case.
    pub computed: Computed,
    /// Whether it would be approved at once.
    pub auto_approved: bool,
    /// Every line with what is left.
    pub funds: Vec<LineFunds>,
    /// The order.
    pub order: Order,
}

/// What the line was paid with, from its priced snapshot.
fn line_paid(priced: &[u8]) -> Result<(i64, i64, i64), AppError> {
    let p = pb::PricedLine::decode(priced)
        .map_err(|e| AppError::Internal(format!("line snapshot: {e}")))?;
    let fen = |m: Option<&siyu_proto::common::v1::Money>| m.map_or(0, |m| m.minor_units);
    Ok((
        fen(p.cash_amount.as_ref()),
        fen(p.stored_value_amount.as_ref()),
        p.points_used,
    ))
}

/// Every line's funds with what refunded and open cases take.
pub async fn funds_of(
    conn: &impl ConnectionTrait,
    tenant: siyu_core::TenantId,
    order: &Order,
) -> Result<Vec<LineFunds>, AppError> {
    let taken = repo::after_sales::taken(conn, tenant, order.id).await?;
    order
        .lines
        .iter()
        .map(|l| {
            let (cash, sv, points) = line_paid(&l.priced)?;
            let t = taken
                .iter()
                .find(|t| t.order_line_id == l.id)
                .cloned()
                .unwrap_or_default();
            Ok(LineFunds {
                line_id: l.id,
                line_no: l.line_no,
                quantity: l.quantity,
                cash_fen: cash,
                stored_value_fen: sv,
                points,
                // The line's own counters are authoritative for units; the cases' sums give
                // the money already taken.
                taken_quantity: l.refunded_quantity + l.in_after_sale_quantity,
                open_quantity: i32::try_from(t.open_quantity).unwrap_or(i32::MAX),
                taken_cash_fen: t.cash_fen,
                taken_stored_value_fen: t.stored_value_fen,
                taken_points: t.points,
            })
        })
        .collect()
}

/// Whether goods are still at the store (a refund needs no return and goes back to stock).
pub fn before_shipment(status: OrderStatus) -> bool {
    matches!(
        status,
        OrderStatus::Paid | OrderStatus::Preparing | OrderStatus::ReadyForPickup
    )
}

impl App {
    /// The case `ask` would open on the order `ctx` may see (read in `conn`, locked when
    /// `lock`).
    pub async fn preview_after_sale(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        ask: &Ask,
        lock: bool,
    ) -> Result<Preview, AppError> {
        let order = repo::orders::get(conn, ctx.tenant, ask.order_id, lock)
            .await?
            .filter(|o| crate::app::orders::may_see(ctx, o.user_id, o.store_id))
            .ok_or(AppError::OrderNotFound)?;
        for (line, _) in &ask.lines {
            if !order.lines.iter().any(|l| l.id == *line) {
                return Err(AfterSaleError::OrderLineNotFound(*line).into());
            }
        }
        if order.paid_at_ms.is_none()
            || matches!(order.status, OrderStatus::PendingPayment)
            || (order.status == OrderStatus::Cancelled && order.paid_fen == 0)
        {
            return Err(AfterSaleError::OrderNotPaid.into());
        }
        if order
            .after_sale_deadline_ms
            .is_some_and(|d| d <= self.now_ms())
        {
            return Err(AfterSaleError::WindowClosed.into());
        }
        // Nothing of a top-up or paid plan comes back by parcel; goods only once shipped.
        let goods = order.kind == OrderKind::Goods;
        if ask.kind == Kind::ReturnAndRefund
            && !(goods && matches!(order.status, OrderStatus::Shipped | OrderStatus::Completed))
        {
            return Err(AfterSaleError::KindNotAllowed.into());
        }
        let funds = funds_of(conn, ctx.tenant, &order).await?;
        let line_cash: i64 = funds.iter().map(|f| f.cash_fen).sum();
        let shipping_left = order.paid_fen
            - line_cash
            - repo::after_sales::shipping_taken(conn, ctx.tenant, order.id).await?;
        let computed = split::compute(
            &funds,
            &ask.lines,
            shipping_left,
            before_shipment(order.status),
            ask.requested_fen,
        )?;
        // Taking back a top-up or a plan is staff's decision.
        let auto_approved = goods && ask.kind == Kind::RefundOnly && before_shipment(order.status);
        Ok(Preview {
            computed,
            auto_approved,
            funds,
            order,
        })
    }

    /// RequestAfterSale in `conn`'s transaction: opens the case, takes its units, writes the
    /// timeline, and approves it at once before shipment.
    pub async fn request_after_sale(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        ask: &Ask,
    ) -> Result<Case, AppError> {
        let preview = self.preview_after_sale(conn, ctx, ask, true).await?;
        let order = &preview.order;
        if order.kind == OrderKind::StoredValueTopUp {
            self.check_top_up_held(ctx.tenant, order, preview.computed.refund_fen)
                .await?;
        }
        let now = self.now_ms();
        let (opened_by_kind, opened_by_id) = match ctx.principal.kind {
            PrincipalKind::Consumer => (ActorKind::Member, String::new()),
            PrincipalKind::Staff => (ActorKind::Staff, ctx.principal.subject.clone()),
            PrincipalKind::Partner => (ActorKind::Partner, ctx.principal.subject.clone()),
            PrincipalKind::Service => (ActorKind::System, String::new()),
        };
        let mut case = Case {
            id: siyu_core::id::new(),
            after_sale_no: crate::app::orders::number::order_no(self.clock.now()),
            order_id: order.id,
            user_id: order.user_id,
            store_id: order.store_id,
            kind: ask.kind,
            status: Status::Requested,
            reason: ask.reason,
            description: ask.description.clone(),
            requested_fen: ask.requested_fen,
            shipping_refund_fen: preview.computed.shipping_fen,
            refund_fen: preview.computed.refund_fen,
            refund_points: preview.computed.points,
            full_refund: preview.computed.full_refund,
            opened_by_kind: opened_by_kind.number(),
            opened_by_id,
            refund_id: None,
            refund_issue: String::new(),
            extra: Extra {
                evidence: ask.evidence.clone(),
                ..Extra::default()
            },
            lines: preview.computed.lines.clone(),
            created_at_ms: now,
            updated_at_ms: now,
            closed_at_ms: None,
        };
        repo::after_sales::insert(conn, ctx.tenant, &case).await?;
        for l in &case.lines {
            if !repo::after_sales::take_units(
                conn,
                ctx.tenant,
                order.id,
                l.order_line_id,
                l.quantity,
            )
            .await?
            {
                // Only reachable if the lock was bypassed; the guard keeps the invariant.
                let left = preview
                    .funds
                    .iter()
                    .find(|f| f.line_id == l.order_line_id)
                    .map_or(0, LineFunds::refundable_quantity);
                return Err(AfterSaleError::ExceedsQuantity {
                    line: l.order_line_id,
                    refundable: left,
                }
                .into());
            }
        }
        repo::after_sales::set_order_state(
            conn,
            ctx.tenant,
            order.id,
            order_state::IN_PROGRESS,
            now,
        )
        .await?;
        timeline(
            conn,
            ctx,
            order,
            timeline_kind::REQUESTED,
            opened_by_kind,
            &case,
            now,
        )
        .await?;
        crate::events::after_sales::after_sale_opened(
            conn,
            ctx.tenant,
            order,
            &case,
            preview.auto_approved,
        )
        .await?;
        if preview.auto_approved {
            self.start_refund(
                conn,
                ctx.tenant,
                order,
                &mut case,
                ActorKind::System,
                "",
                true,
            )
            .await?;
        }
        Ok(case)
    }
}

/// Appends an after-sale timeline entry (the order's status unchanged).
pub async fn timeline(
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
    order: &Order,
    kind: i16,
    actor: ActorKind,
    case: &Case,
    now: i64,
) -> Result<(), AppError> {
    repo::orders::append_timeline(
        conn,
        ctx.tenant,
        order.id,
        &TimelineEntry {
            kind,
            from: order.status,
            to: order.status,
            actor,
            actor_id: match actor {
                ActorKind::Member => order.user_id.to_string(),
                ActorKind::System => String::new(),
                _ => ctx.principal.subject.clone(),
            },
            reference_id: case.id.to_string(),
            note: String::new(),
            occurred_at_ms: now,
        },
    )
    .await
}
