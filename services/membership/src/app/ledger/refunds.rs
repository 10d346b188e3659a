//! Giving back what an order used after a refund: RefundPoints (to the lots the points came
//! from, the most recently consumed first; parts of lots that expired meanwhile form a new lot
//! valid `restored_points_grace_days`) and RefundStoredValue (to principal and bonus in the
//! hold's proportion). Keyed by (order, refund); their sum never exceeds what was captured.

use sea_orm::ConnectionTrait;
use siyu_core::Ctx;
use uuid::Uuid;

use super::{Begun, arith, begin, head, lock, new_lot, post};
use crate::app::App;
use crate::app::domain::{
    Account, EntryType, Hold, HoldKind, HoldStatus, JournalEntry, Posting, SvPart,
};
use crate::{AppError, events, repo};

const DAY_MS: i64 = 86_400_000;

/// A RefundPoints / RefundStoredValue request, parsed.
#[derive(Debug, Clone, Copy)]
pub struct RefundRequest {
    /// The order.
    pub order_id: Uuid,
    /// The refund.
    pub refund_id: Uuid,
    /// Points or stored value.
    pub kind: HoldKind,
    /// Points or fen to give back.
    pub amount: i64,
}

impl App {
    /// RefundPoints / RefundStoredValue; answers the entry and the hold after.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, order_id = %r.order_id))]
    pub async fn refund(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        r: RefundRequest,
    ) -> Result<(JournalEntry, Hold), AppError> {
        let now_ms = self.now_ms();
        let hold = repo::ledger::holds::latest(conn, ctx.tenant, r.order_id, r.kind, true)
            .await?
            .ok_or(AppError::HoldNotFound)?;
        let key = format!(
            "refund:{}:{}:{}",
            r.kind.key_word(),
            r.order_id,
            r.refund_id
        );
        let fingerprint = format!("refund|{}", r.amount);
        let mut h = head(
            ctx,
            EntryType::Refund,
            hold.member_id,
            key,
            fingerprint,
            now_ms,
        );
        h.order_id = Some(r.order_id);
        h.refund_id = Some(r.refund_id);
        h.hold_id = Some(hold.id);
        if let Begun::Repeat(entry) = begin(conn, ctx.tenant, &h).await? {
            let entry = *entry;
            return Ok((entry, hold));
        }
        if hold.status != HoldStatus::Captured {
            return Err(AppError::HoldNotCaptured);
        }
        let left = match r.kind {
            HoldKind::Points => hold.points - hold.refunded_points,
            HoldKind::StoredValue => hold.amount - hold.refunded_amount,
        };
        if r.amount > left {
            return Err(AppError::RefundExceedsCaptured);
        }
        let locked = lock(conn, ctx, hold.member_id, now_ms).await?;
        let m = hold.member_id;
        let (postings, bonus) = match r.kind {
            HoldKind::Points => {
                let mut postings = vec![Posting::tenant(Account::PointsRedeemed, -r.amount)];
                let mut lapsed = 0;
                let mut todo = r.amount;
                let shares = repo::ledger::lots::of_hold(conn, ctx.tenant, hold.id).await?;
                // The most recently consumed lots first: they carry the latest expiry.
                for share in shares.iter().rev() {
                    let n = todo.min(share.points - share.refunded);
                    if n <= 0 {
                        continue;
                    }
                    todo -= n;
                    repo::ledger::lots::refund_hold_share(
                        conn,
                        ctx.tenant,
                        hold.id,
                        share.lot_id,
                        n,
                    )
                    .await?;
                    if share.expires_at_ms.is_some_and(|e| e <= now_ms) {
                        lapsed += n;
                    } else if repo::ledger::lots::change(conn, ctx.tenant, share.lot_id, n).await? {
                        postings.push(
                            Posting::member(Account::PointsAvailable, m, n).on_lot(share.lot_id),
                        );
                    } else {
                        return Err(AppError::Internal("a refunded lot overflows".into()));
                    }
                }
                if todo != 0 {
                    return Err(AppError::Internal(
                        "hold lots do not cover the refund".into(),
                    ));
                }
                if lapsed > 0 {
                    let policy = repo::ledger::policy::get(conn, ctx.tenant).await?;
                    let expires = now_ms + i64::from(policy.restored_points_grace_days) * DAY_MS;
                    let (_, credit) =
                        new_lot(conn, ctx.tenant, m, lapsed, Some(expires), h.id, now_ms).await?;
                    postings.push(credit);
                }
                (postings, 0)
            }
            HoldKind::StoredValue => {
                let bonus = arith::bonus_share(
                    hold.bonus_part,
                    hold.amount,
                    hold.refunded_amount,
                    r.amount,
                );
                let principal = r.amount - bonus;
                let postings = vec![
                    Posting::tenant(Account::SvSpent, -principal).of_part(SvPart::Principal),
                    Posting::tenant(Account::SvSpent, -bonus).of_part(SvPart::Bonus),
                    Posting::member(Account::SvPrincipal, m, principal),
                    Posting::member(Account::SvBonus, m, bonus),
                ];
                (postings, bonus)
            }
        };
        let (points, amount) = match r.kind {
            HoldKind::Points => (r.amount, 0),
            HoldKind::StoredValue => (0, r.amount),
        };
        let after_hold =
            repo::ledger::holds::add_refund(conn, ctx.tenant, hold.id, points, amount, bonus)
                .await?
                .ok_or(AppError::RefundExceedsCaptured)?;
        let (entry, after) = post(conn, ctx.tenant, &h, postings).await?;
        match r.kind {
            HoldKind::Points => {
                events::publish::points_earned(
                    conn,
                    ctx.tenant,
                    &locked.member,
                    &entry,
                    &after,
                    "REFUND",
                    None,
                )
                .await?;
            }
            HoldKind::StoredValue => {
                events::publish::stored_value_changed(
                    conn,
                    ctx.tenant,
                    &locked.member,
                    &entry,
                    &after,
                    "REFUND",
                )
                .await?;
            }
        }
        Ok((entry, after_hold))
    }
}
