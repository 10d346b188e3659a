//! The commission ledger of orders, driven by orders' events: OrderPaid writes PENDING entries,
//! OrderRefunded reverses the refunded share, OrderSettled settles what is left into the
//! distributors' available balances (CommissionSettled). Each event first locks the order's
//! row, so an order's events apply one after another; each applies once (the paid flag, the
//! refund id, the settled time) and in any order: refunds and the settlement are recorded even
//! before the payment, and [`App::reconcile_order`] recomputes every PENDING entry from what
//! was recorded, so the outcome does not depend on the order of arrival.

use std::collections::BTreeMap;

use sea_orm::ConnectionTrait;
use siyu_core::Ctx;
use uuid::Uuid;

use crate::app::App;
use crate::app::domain::{
    CommissionEntry, CommissionPolicy, CommissionStatus, MemberId, commission, reversed,
};
use crate::repo::distribution::entries::RefundedLine;
use crate::{AppError, events, repo};

/// One paid line of an order as commission reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidLine {
    /// The order line id.
    pub order_line_id: String,
    /// The SKU id (as the event carries it).
    pub sku_id: String,
    /// Cash paid, fen.
    pub cash: i64,
    /// Stored value paid, fen.
    pub stored_value: i64,
}

/// What one commission event changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// Entries written.
    pub written: usize,
    /// Entries settled.
    pub settled: usize,
    /// Entries that became fully reversed.
    pub reversed: usize,
}

/// The distributors above `buyer`: level 1 its inviter, level 2 the inviter's inviter when the
/// policy enables level 2. The chain is read exactly this far: a third level is never looked
/// up, so no rate, override or data can make it earn.
async fn upline(
    app: &App,
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
    policy: &CommissionPolicy,
    buyer: MemberId,
) -> Result<Vec<(i16, MemberId)>, AppError> {
    let mut out = Vec::with_capacity(2);
    let Some(b) = repo::members::by_id(conn, ctx.tenant, buyer, false).await? else {
        return Ok(out);
    };
    let Some(l1) = b.inviter_member_id else {
        return Ok(out);
    };
    let Some(first) = repo::members::by_id(conn, ctx.tenant, l1, false).await? else {
        return Ok(out);
    };
    if first.id != buyer && app.is_distributor(conn, ctx, policy, &first).await? {
        out.push((1, first.id));
    }
    if policy.level2_enabled
        && let Some(l2) = first.inviter_member_id
        && let Some(second) = repo::members::by_id(conn, ctx.tenant, l2, false).await?
        && second.id != buyer
        && app.is_distributor(conn, ctx, policy, &second).await?
    {
        out.push((2, second.id));
    }
    Ok(out)
}

impl App {
    /// OrderPaid: PENDING entries per line and level, at the SKU's override or the tenant's
    /// rate, on the line's earning base (cash, plus stored value when the ledger policy counts
    /// it); then whatever refunds or settlement arrived first.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %order))]
    pub async fn commission_paid(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        order: Uuid,
        buyer: MemberId,
        lines: &[PaidLine],
    ) -> Result<Applied, AppError> {
        let now_ms = self.now_ms();
        let state =
            repo::distribution::entries::lock_order(conn, ctx.tenant, order, now_ms).await?;
        if state.paid {
            return Ok(Applied::default());
        }
        repo::distribution::entries::mark_paid(conn, ctx.tenant, order, buyer).await?;
        let policy = repo::distribution::policy::get(conn, ctx.tenant).await?;
        let mut applied = Applied::default();
        let upline = if policy.enabled {
            upline(self, conn, ctx, &policy, buyer).await?
        } else {
            Vec::new()
        };
        if !upline.is_empty() {
            let sv_counts = repo::ledger::policy::get(conn, ctx.tenant)
                .await?
                .stored_value_earns;
            for line in lines {
                let base = line.cash + if sv_counts { line.stored_value } else { 0 };
                let sku_rate = match Uuid::parse_str(&line.sku_id) {
                    Ok(sku) => repo::distribution::policy::rate(conn, ctx.tenant, sku).await?,
                    Err(_) => None,
                };
                for (level, member) in &upline {
                    let rate = match (sku_rate, level) {
                        (Some(r), 1) => r.level1_rate_bps,
                        (Some(r), _) => r.level2_rate_bps,
                        (None, 1) => policy.level1_rate_bps,
                        (None, _) => policy.level2_rate_bps,
                    };
                    let amount = commission(base, rate);
                    if amount == 0 {
                        continue;
                    }
                    let entry = CommissionEntry {
                        id: siyu_core::id::new(),
                        member_id: *member,
                        buyer_member_id: buyer,
                        order_id: order,
                        order_line_id: line.order_line_id.clone(),
                        sku_id: line.sku_id.clone(),
                        level: *level,
                        base_amount: base,
                        stored_value_counts: sv_counts,
                        rate_bps: rate,
                        amount,
                        reversed_amount: 0,
                        status: CommissionStatus::Pending,
                        created_at_ms: now_ms,
                        settled_at_ms: None,
                    };
                    if repo::distribution::entries::insert(conn, ctx.tenant, &entry).await? {
                        applied.written += 1;
                    }
                }
            }
        }
        let r = self
            .reconcile_order(conn, ctx, order, state.settled_at_ms)
            .await?;
        Ok(Applied {
            settled: r.settled,
            reversed: r.reversed,
            ..applied
        })
    }

    /// OrderRefunded: records the refund once (by refund id) and reverses its share.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %order))]
    pub async fn commission_refunded(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        order: Uuid,
        refund_id: &str,
        lines: &[RefundedLine],
    ) -> Result<Applied, AppError> {
        let now_ms = self.now_ms();
        let state =
            repo::distribution::entries::lock_order(conn, ctx.tenant, order, now_ms).await?;
        if state.settled_at_ms.is_some() {
            // Orders refuses after-sales once the window closed, so this does not happen; if it
            // does, settled commission stays final (and the refund is not recorded).
            tracing::warn!(%order, refund_id, "refund after settlement left alone");
            return Ok(Applied::default());
        }
        let recorded = repo::distribution::entries::insert_refund(
            conn, ctx.tenant, order, refund_id, lines, now_ms,
        )
        .await?;
        if !recorded {
            return Ok(Applied::default());
        }
        self.reconcile_order(conn, ctx, order, None).await
    }

    /// OrderSettled: settles the order's PENDING entries, net of reversals.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %order))]
    pub async fn commission_settled(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        order: Uuid,
    ) -> Result<Applied, AppError> {
        let now_ms = self.now_ms();
        let state =
            repo::distribution::entries::lock_order(conn, ctx.tenant, order, now_ms).await?;
        if state.settled_at_ms.is_some() {
            return Ok(Applied::default());
        }
        repo::distribution::entries::mark_settled(conn, ctx.tenant, order, now_ms).await?;
        self.reconcile_order(conn, ctx, order, Some(now_ms)).await
    }

    /// Recomputes the (locked) order's PENDING entries from every refund recorded: the
    /// reversal in proportion to the refunded base, REVERSED once whole; when the order is
    /// settled, SETTLED with `amount - reversed` credited to the distributor's available
    /// balance and CommissionSettled per distributor.
    async fn reconcile_order(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        order: Uuid,
        settled_at_ms: Option<i64>,
    ) -> Result<Applied, AppError> {
        let entries = repo::distribution::entries::of_order(conn, ctx.tenant, order).await?;
        if entries.is_empty() {
            return Ok(Applied::default());
        }
        let mut refunded: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
        let refunds = repo::distribution::entries::refunds_of(conn, ctx.tenant, order).await?;
        for r in &refunds {
            let e = refunded.entry(r.order_line_id.as_str()).or_default();
            e.0 += r.cash;
            e.1 += r.stored_value;
        }
        let mut applied = Applied::default();
        let mut credits: BTreeMap<MemberId, (i64, Vec<Uuid>)> = BTreeMap::new();
        for e in entries
            .iter()
            .filter(|e| e.status == CommissionStatus::Pending)
        {
            let (cash, sv) = refunded
                .get(e.order_line_id.as_str())
                .copied()
                .unwrap_or_default();
            let back = cash + if e.stored_value_counts { sv } else { 0 };
            let rev = reversed(e.amount, e.base_amount, back);
            let status = if rev >= e.amount {
                CommissionStatus::Reversed
            } else if settled_at_ms.is_some() {
                CommissionStatus::Settled
            } else {
                CommissionStatus::Pending
            };
            if status == CommissionStatus::Pending && rev == e.reversed_amount {
                continue;
            }
            let at = (status == CommissionStatus::Settled)
                .then_some(settled_at_ms)
                .flatten();
            if !repo::distribution::entries::update_pending(conn, ctx.tenant, e.id, rev, status, at)
                .await?
            {
                continue;
            }
            match status {
                CommissionStatus::Reversed => applied.reversed += 1,
                CommissionStatus::Settled => {
                    applied.settled += 1;
                    let c = credits.entry(e.member_id).or_default();
                    c.0 += e.amount - rev;
                    c.1.push(e.id);
                }
                CommissionStatus::Pending => {}
            }
        }
        let now_ms = self.now_ms();
        for (member, (amount, ids)) in credits {
            if !repo::distribution::withdrawals::shift(
                conn, ctx.tenant, member, amount, 0, 0, now_ms,
            )
            .await?
            {
                return Err(AppError::Internal("commission credit refused".into()));
            }
            let wallet =
                repo::distribution::withdrawals::wallet(conn, ctx.tenant, member, false, now_ms)
                    .await?;
            let user = repo::members::by_id(conn, ctx.tenant, member, false)
                .await?
                .map(|m| m.user_id);
            events::commissions::commission_settled(
                conn,
                ctx.tenant,
                member,
                user,
                order,
                amount,
                wallet.available,
                &ids,
                now_ms,
            )
            .await?;
        }
        Ok(applied)
    }
}
