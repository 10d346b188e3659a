//! What happens to an open case: approval (REFUND_ONLY starts its refund; RETURN_AND_REFUND
//! waits for the goods), rejection and withdrawal (the units become refundable again), the
//! return parcel and its receipt (the refund starts).

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, PrincipalKind, TenantId};
use uuid::Uuid;

use super::AfterSaleError;
use super::model::{Case, Decision, Kind, Parcel, Status};
use super::open::{before_shipment, order_state, timeline, timeline_kind};
use crate::AppError;
use crate::app::App;
use crate::app::orders::model::{ActorKind, Order, OrderKind};
use crate::repo;

/// A decision's input.
#[derive(Debug, Clone, Default)]
pub struct Decide {
    /// Note for the consumer.
    pub note: String,
    /// Return address (RETURN_AND_REFUND approval), the contract's encoded `Address`.
    pub return_address: String,
    /// Put returned goods back to stock (receipt).
    pub restock: bool,
    /// Return parcel (submission).
    pub parcel: Option<Parcel>,
}

fn actor_of(ctx: &Ctx) -> ActorKind {
    match ctx.principal.kind {
        PrincipalKind::Consumer => ActorKind::Member,
        PrincipalKind::Staff => ActorKind::Staff,
        PrincipalKind::Partner => ActorKind::Partner,
        PrincipalKind::Service => ActorKind::System,
    }
}

impl App {
    /// The case and its order as `ctx` may see them, both locked.
    async fn locked_case(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
    ) -> Result<(Case, Order), AppError> {
        let case = repo::after_sales::get(conn, ctx.tenant, id, false)
            .await?
            .filter(|c| crate::app::orders::may_see(ctx, c.user_id, c.store_id))
            .ok_or(AfterSaleError::NotFound)?;
        let order = repo::orders::get(conn, ctx.tenant, case.order_id, true)
            .await?
            .ok_or(AfterSaleError::NotFound)?;
        let case = repo::after_sales::get(conn, ctx.tenant, id, true)
            .await?
            .ok_or(AfterSaleError::NotFound)?;
        Ok((case, order))
    }

    /// A case `ctx` may see.
    pub async fn visible_case(&self, ctx: &Ctx, id: Uuid) -> Result<Case, AppError> {
        Ok(repo::after_sales::get(&self.db, ctx.tenant, id, false)
            .await?
            .filter(|c| crate::app::orders::may_see(ctx, c.user_id, c.store_id))
            .ok_or(AfterSaleError::NotFound)?)
    }

    /// ApproveAfterSale. An approved case is returned unchanged.
    pub async fn approve_after_sale(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
        input: Decide,
    ) -> Result<Case, AppError> {
        let (mut case, order) = self.locked_case(conn, ctx, id).await?;
        match case.status {
            Status::Requested => {}
            Status::AwaitingReturn
            | Status::ReturnShipped
            | Status::Refunding
            | Status::Refunded => {
                return Ok(case);
            }
            other => return Err(AfterSaleError::IllegalTransition(other.number()).into()),
        }
        let actor = actor_of(ctx);
        match case.kind {
            Kind::RefundOnly => {
                let restock = before_shipment(order.status);
                self.start_refund(
                    conn,
                    ctx.tenant,
                    &order,
                    &mut case,
                    actor,
                    &input.note,
                    restock,
                )
                .await?;
            }
            Kind::ReturnAndRefund => {
                let now = self.now_ms();
                case.status = Status::AwaitingReturn;
                case.extra.return_address = input.return_address;
                case.extra.decision = Some(Decision {
                    actor: actor.number(),
                    actor_id: ctx.principal.subject.clone(),
                    note: input.note,
                    at_ms: now,
                });
                case.updated_at_ms = now;
                if !repo::after_sales::update(conn, ctx.tenant, &case, Status::Requested).await? {
                    return Err(
                        AfterSaleError::IllegalTransition(Status::Requested.number()).into(),
                    );
                }
                timeline(
                    conn,
                    ctx,
                    &order,
                    timeline_kind::APPROVED,
                    actor,
                    &case,
                    now,
                )
                .await?;
            }
        }
        Ok(case)
    }

    /// RejectAfterSale (staff) and CancelAfterSale (the consumer): the case ends and its units
    /// become refundable again.
    pub async fn close_after_sale(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
        reject: bool,
        note: String,
    ) -> Result<Case, AppError> {
        let (mut case, order) = self.locked_case(conn, ctx, id).await?;
        if !reject && ctx.principal.subject != case.user_id.to_string() {
            return Err(AfterSaleError::NotFound.into());
        }
        let allowed = if reject {
            matches!(
                case.status,
                Status::Requested | Status::AwaitingReturn | Status::ReturnShipped
            )
        } else {
            matches!(case.status, Status::Requested | Status::AwaitingReturn)
        };
        let target = if reject {
            Status::Rejected
        } else {
            Status::Cancelled
        };
        if case.status == target {
            return Ok(case);
        }
        if !allowed {
            return Err(AfterSaleError::IllegalTransition(case.status.number()).into());
        }
        let from = case.status;
        let now = self.now_ms();
        let actor = actor_of(ctx);
        case.status = target;
        case.updated_at_ms = now;
        case.closed_at_ms = Some(now);
        if reject {
            case.extra.decision = Some(Decision {
                actor: actor.number(),
                actor_id: ctx.principal.subject.clone(),
                note,
                at_ms: now,
            });
        }
        if !repo::after_sales::update(conn, ctx.tenant, &case, from).await? {
            return Err(AfterSaleError::IllegalTransition(from.number()).into());
        }
        for l in &case.lines {
            repo::after_sales::release_units(
                conn,
                ctx.tenant,
                order.id,
                l.order_line_id,
                l.quantity,
            )
            .await?;
        }
        let state = settled_state(conn, ctx.tenant, &order).await?;
        repo::after_sales::set_order_state(conn, ctx.tenant, order.id, state, now).await?;
        let kind = if reject {
            timeline_kind::REJECTED
        } else {
            timeline_kind::CANCELLED
        };
        timeline(conn, ctx, &order, kind, actor, &case, now).await?;
        let outcome = if reject {
            siyu_proto::events::v1::AfterSaleOutcome::Rejected
        } else {
            siyu_proto::events::v1::AfterSaleOutcome::Cancelled
        };
        let open = repo::after_sales::open_count(conn, ctx.tenant, order.id).await?;
        crate::events::after_sales::after_sale_closed(
            conn,
            ctx.tenant,
            &order,
            &case,
            outcome,
            None,
            i32::try_from(open).unwrap_or(i32::MAX),
            now,
        )
        .await?;
        Ok(case)
    }

    /// SubmitReturnShipment: the consumer's parcel (AWAITING_RETURN or RETURN_SHIPPED).
    pub async fn submit_return(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
        parcel: Parcel,
    ) -> Result<Case, AppError> {
        let (mut case, _) = self.locked_case(conn, ctx, id).await?;
        if ctx.principal.subject != case.user_id.to_string() {
            return Err(AfterSaleError::NotFound.into());
        }
        let from = case.status;
        if !matches!(from, Status::AwaitingReturn | Status::ReturnShipped) {
            return Err(AfterSaleError::IllegalTransition(from.number()).into());
        }
        case.status = Status::ReturnShipped;
        case.extra.parcel = Some(parcel);
        case.updated_at_ms = self.now_ms();
        if !repo::after_sales::update(conn, ctx.tenant, &case, from).await? {
            return Err(AfterSaleError::IllegalTransition(from.number()).into());
        }
        Ok(case)
    }

    /// ConfirmReturnReceived: the goods are back (RETURN_SHIPPED, or AWAITING_RETURN handed
    /// over at the counter); the refund starts.
    pub async fn confirm_return(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
        restock: bool,
        note: &str,
    ) -> Result<Case, AppError> {
        let (mut case, order) = self.locked_case(conn, ctx, id).await?;
        match case.status {
            Status::AwaitingReturn | Status::ReturnShipped => {}
            Status::Refunding | Status::Refunded => return Ok(case),
            other => return Err(AfterSaleError::IllegalTransition(other.number()).into()),
        }
        let now = self.now_ms();
        let parcel = case.extra.parcel.get_or_insert_with(Parcel::default);
        parcel.received_at_ms = Some(now);
        parcel.received_by.clone_from(&ctx.principal.subject);
        parcel.restocked = restock;
        self.start_refund(
            conn,
            ctx.tenant,
            &order,
            &mut case,
            actor_of(ctx),
            note,
            restock,
        )
        .await?;
        Ok(case)
    }

    /// Moves the case to REFUNDING with its refund (recorded here, run after the commit).
    #[allow(clippy::too_many_arguments)]
    pub async fn start_refund(
        &self,
        conn: &impl ConnectionTrait,
        tenant: TenantId,
        order: &Order,
        case: &mut Case,
        actor: ActorKind,
        note: &str,
        restock: bool,
    ) -> Result<(), AppError> {
        let from = case.status;
        let now = self.now_ms();
        if from == Status::Requested {
            case.extra.decision = Some(Decision {
                actor: actor.number(),
                actor_id: String::new(),
                note: note.to_owned(),
                at_ms: now,
            });
        }
        case.extra.restock = restock;
        let refund_id = if order.kind == OrderKind::Goods {
            siyu_core::id::new()
        } else {
            super::purchase::refund_id_of_case(case.id)
        };
        if order.kind == OrderKind::StoredValueTopUp {
            // Before any money moves; a refusal leaves the case REQUESTED.
            self.reverse_top_up(tenant, order, refund_id, case.cash_fen())
                .await?;
        }
        crate::app::refunds::create_for_case(conn, tenant, order, case, refund_id, now).await?;
        case.status = Status::Refunding;
        case.refund_id = Some(refund_id);
        case.updated_at_ms = now;
        if !repo::after_sales::update(conn, tenant, case, from).await? {
            return Err(AfterSaleError::IllegalTransition(from.number()).into());
        }
        if from == Status::Requested {
            let ctx = crate::app::orders::cancel::system_ctx(tenant);
            timeline(conn, &ctx, order, timeline_kind::APPROVED, actor, case, now).await?;
        }
        Ok(())
    }
}

/// The order's after-sales state once no case moves: in progress while one is open, else by
/// what was refunded.
pub async fn settled_state(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order: &Order,
) -> Result<i16, AppError> {
    if repo::after_sales::open_count(conn, tenant, order.id).await? > 0 {
        return Ok(order_state::IN_PROGRESS);
    }
    let refunded_units: i32 = order.lines.iter().map(|l| l.refunded_quantity).sum();
    let units: i32 = order.lines.iter().map(|l| l.quantity).sum();
    Ok(if refunded_units >= units && units > 0 {
        order_state::FULLY_REFUNDED
    } else if refunded_units > 0 || order.refunded_fen > 0 {
        order_state::PARTIALLY_REFUNDED
    } else {
        order_state::ENDED_WITHOUT_REFUND
    })
}
