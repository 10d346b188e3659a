//! Checkout holds of points and stored value: hold → capture (payment) | release (cancel,
//! timeout, saga failure), and revival of a released hold for a late payment.
//!
//! The order's hold row is the anchor (see `repo::ledger::holds`): a hold is claimed before the
//! member is touched, so concurrent holds of one order meet on that row and one of them takes
//! the points; capture and release lock the order's latest hold and move it with one
//! conditional update, so each hold is captured or released exactly once, whatever retries
//! and compensations race.

use sea_orm::ConnectionTrait;
use siyu_core::Ctx;
use uuid::Uuid;

use super::{Begun, arith, begin, head, lock, post, take_points};
use crate::app::App;
use crate::app::domain::{
    Account, EntryType, Hold, HoldKind, HoldStatus, MemberId, Posting, SvPart,
};
use crate::repo::ledger::EntryHead;
use crate::{AppError, repo};

mod settle;

/// How often a hold re-reads the order's latest hold after losing a race to claim it.
const CLAIM_ATTEMPTS: usize = 3;

/// A HoldPoints / HoldStoredValue request, parsed.
#[derive(Debug, Clone, Copy)]
pub struct HoldRequest {
    /// The paying member.
    pub member_id: MemberId,
    /// The order.
    pub order_id: Uuid,
    /// Points or stored value.
    pub kind: HoldKind,
    /// Points (POINTS).
    pub points: i64,
    /// Fen (STORED_VALUE).
    pub amount: i64,
    /// Hold again after a release (late-payment revival).
    pub revive: bool,
}

/// The fresh claim of a key no one else can hold (the hold row was ours).
async fn begin_fresh(
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
    h: &EntryHead,
) -> Result<(), AppError> {
    match begin(conn, ctx.tenant, h).await? {
        Begun::Fresh => Ok(()),
        Begun::Repeat(_) => Err(AppError::Internal(format!("key {} applied twice", h.key))),
    }
}

impl App {
    /// HoldPoints / HoldStoredValue (see the module docs and the contract).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, order_id = %r.order_id))]
    pub async fn hold(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        r: HoldRequest,
    ) -> Result<Hold, AppError> {
        let now_ms = self.now_ms();
        if r.kind == HoldKind::StoredValue
            && !repo::ledger::policy::get(conn, ctx.tenant)
                .await?
                .stored_value_enabled
        {
            return Err(AppError::StoredValueDisabled);
        }
        for _ in 0..CLAIM_ATTEMPTS {
            let latest =
                repo::ledger::holds::latest(conn, ctx.tenant, r.order_id, r.kind, true).await?;
            let attempt = match latest {
                None => 1,
                Some(h) if h.status == HoldStatus::Held => {
                    let same =
                        h.member_id == r.member_id && h.points == r.points && h.amount == r.amount;
                    return if same || r.revive {
                        Ok(h)
                    } else {
                        Err(AppError::HoldMismatch)
                    };
                }
                Some(h) if h.status == HoldStatus::Released && r.revive => h.attempt + 1,
                Some(_) => return Err(AppError::HoldAlreadySettled),
            };
            let hold = Hold {
                id: siyu_core::id::new(),
                order_id: r.order_id,
                kind: r.kind,
                attempt,
                member_id: r.member_id,
                status: HoldStatus::Held,
                points: r.points,
                amount: r.amount,
                principal_part: 0,
                bonus_part: 0,
                refunded_points: 0,
                refunded_amount: 0,
                refunded_bonus: 0,
                release_reason: String::new(),
                created_at_ms: now_ms,
                settled_at_ms: None,
            };
            if repo::ledger::holds::claim(conn, ctx.tenant, &hold).await? {
                return self.take_hold(conn, ctx, hold, now_ms).await;
            }
            // A concurrent hold of this order and attempt committed first: judge against it.
        }
        Err(AppError::Internal("the order's hold kept changing".into()))
    }

    /// Moves the hold's points or stored value from available to held.
    async fn take_hold(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        mut hold: Hold,
        now_ms: i64,
    ) -> Result<Hold, AppError> {
        let fingerprint = format!("hold|{}|{}|{}", hold.member_id, hold.points, hold.amount);
        let mut h = head(
            ctx,
            EntryType::Hold,
            hold.member_id,
            hold.key(),
            fingerprint,
            now_ms,
        );
        h.order_id = Some(hold.order_id);
        h.hold_id = Some(hold.id);
        begin_fresh(conn, ctx, &h).await?;
        let locked = lock(conn, ctx, hold.member_id, now_ms).await?;
        if let Some(refusal) = locked.member.refuses_writes() {
            return Err(refusal);
        }
        let b = locked.balances;
        let m = hold.member_id;
        let postings = match hold.kind {
            HoldKind::Points => {
                if b.points_available < hold.points {
                    return Err(AppError::PointsInsufficient {
                        available: b.points_available,
                        requested: hold.points,
                    });
                }
                let (mut postings, taken) = take_points(conn, ctx.tenant, m, hold.points).await?;
                repo::ledger::lots::record_hold(conn, ctx.tenant, hold.id, &taken).await?;
                postings.push(Posting::member(Account::PointsHeld, m, hold.points));
                postings
            }
            HoldKind::StoredValue => {
                if b.sv_available() < hold.amount {
                    return Err(AppError::StoredValueInsufficient {
                        available: b.sv_available(),
                        requested: hold.amount,
                    });
                }
                let (p, bonus) = arith::split_stored_value(hold.amount, b.sv_principal, b.sv_bonus);
                repo::ledger::holds::set_parts(conn, ctx.tenant, hold.id, p, bonus).await?;
                hold.principal_part = p;
                hold.bonus_part = bonus;
                vec![
                    Posting::member(Account::SvPrincipal, m, -p),
                    Posting::member(Account::SvBonus, m, -bonus),
                    Posting::member(Account::SvHeld, m, p).of_part(SvPart::Principal),
                    Posting::member(Account::SvHeld, m, bonus).of_part(SvPart::Bonus),
                ]
            }
        };
        post(conn, ctx.tenant, &h, postings).await?;
        Ok(hold)
    }

    /// GetOrderHolds: the order's latest hold of each kind.
    pub async fn order_holds(&self, ctx: &Ctx, order_id: Uuid) -> Result<Vec<Hold>, AppError> {
        repo::ledger::holds::of_order(&self.db, ctx.tenant, order_id).await
    }
}
