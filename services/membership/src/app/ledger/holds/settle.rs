//! Settling a hold: CapturePoints / CaptureStoredValue (payment) and ReleasePoints /
//! ReleaseStoredValue (cancel, timeout, saga failure). Each locks the order's latest hold and
//! moves it out of HELD with one conditional update, so it is captured or released once.

use sea_orm::ConnectionTrait;
use siyu_core::Ctx;
use uuid::Uuid;

use super::super::{head, lock, post};
use super::begin_fresh;
use crate::app::App;
use crate::app::domain::{Account, EntryType, Hold, HoldKind, HoldStatus, Posting, SvPart};
use crate::repo::ledger::EntryHead;
use crate::{AppError, events, repo};

fn settle_head(ctx: &Ctx, t: EntryType, word: &str, h: &Hold, now_ms: i64) -> EntryHead {
    let key = format!("{word}:{}:{}:{}", h.kind.key_word(), h.order_id, h.attempt);
    let mut head = head(ctx, t, h.member_id, key, word.to_owned(), now_ms);
    head.order_id = Some(h.order_id);
    head.hold_id = Some(h.id);
    head
}

impl App {
    /// CapturePoints / CaptureStoredValue: the order's latest hold, HELD → CAPTURED once.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %order_id))]
    pub async fn capture(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        order_id: Uuid,
        kind: HoldKind,
    ) -> Result<Hold, AppError> {
        let now_ms = self.now_ms();
        let hold = repo::ledger::holds::latest(conn, ctx.tenant, order_id, kind, true)
            .await?
            .ok_or(AppError::HoldNotFound)?;
        match hold.status {
            HoldStatus::Captured => return Ok(hold),
            HoldStatus::Released => return Err(AppError::HoldAlreadyReleased),
            HoldStatus::Held => {}
        }
        let h = settle_head(ctx, EntryType::Capture, "capture", &hold, now_ms);
        begin_fresh(conn, ctx, &h).await?;
        // A frozen member's capture still goes through: the order was paid.
        let locked = lock(conn, ctx, hold.member_id, now_ms).await?;
        let settled = repo::ledger::holds::settle(
            conn,
            ctx.tenant,
            hold.id,
            HoldStatus::Captured,
            "",
            now_ms,
        )
        .await?
        .ok_or_else(|| AppError::Internal("held hold changed under its lock".into()))?;
        let m = hold.member_id;
        let postings = match kind {
            HoldKind::Points => vec![
                Posting::member(Account::PointsHeld, m, -hold.points),
                Posting::tenant(Account::PointsRedeemed, hold.points),
            ],
            HoldKind::StoredValue => vec![
                Posting::member(Account::SvHeld, m, -hold.principal_part)
                    .of_part(SvPart::Principal),
                Posting::member(Account::SvHeld, m, -hold.bonus_part).of_part(SvPart::Bonus),
                Posting::tenant(Account::SvSpent, hold.principal_part).of_part(SvPart::Principal),
                Posting::tenant(Account::SvSpent, hold.bonus_part).of_part(SvPart::Bonus),
            ],
        };
        let (entry, after) = post(conn, ctx.tenant, &h, postings).await?;
        let (t, member) = (ctx.tenant, &locked.member);
        match kind {
            HoldKind::Points => {
                events::publish::points_redeemed(conn, t, member, &entry, &after, 0).await?;
            }
            HoldKind::StoredValue => {
                events::publish::stored_value_changed(conn, t, member, &entry, &after, "CAPTURE")
                    .await?;
            }
        }
        Ok(settled)
    }

    /// ReleasePoints / ReleaseStoredValue: the order's latest hold, HELD → RELEASED once; points
    /// go back to their lots, those of lots that expired meanwhile expire at once. No hold is
    /// not an error (`None`), so compensation can always call it.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %order_id))]
    pub async fn release(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        order_id: Uuid,
        kind: HoldKind,
        reason: &str,
    ) -> Result<Option<Hold>, AppError> {
        let now_ms = self.now_ms();
        let latest = repo::ledger::holds::latest(conn, ctx.tenant, order_id, kind, true).await?;
        let Some(hold) = latest else {
            return Ok(None);
        };
        match hold.status {
            HoldStatus::Released => return Ok(Some(hold)),
            HoldStatus::Captured => return Err(AppError::HoldAlreadyCaptured),
            HoldStatus::Held => {}
        }
        let h = settle_head(ctx, EntryType::Release, "release", &hold, now_ms);
        begin_fresh(conn, ctx, &h).await?;
        lock(conn, ctx, hold.member_id, now_ms).await?;
        let settled = repo::ledger::holds::settle(
            conn,
            ctx.tenant,
            hold.id,
            HoldStatus::Released,
            reason,
            now_ms,
        )
        .await?
        .ok_or_else(|| AppError::Internal("held hold changed under its lock".into()))?;
        let m = hold.member_id;
        let postings = match kind {
            HoldKind::Points => {
                let mut postings = vec![Posting::member(Account::PointsHeld, m, -hold.points)];
                let mut expired = 0;
                for share in repo::ledger::lots::of_hold(conn, ctx.tenant, hold.id).await? {
                    if share.expires_at_ms.is_some_and(|e| e <= now_ms) {
                        expired += share.points;
                        continue;
                    }
                    if !repo::ledger::lots::change(conn, ctx.tenant, share.lot_id, share.points)
                        .await?
                    {
                        return Err(AppError::Internal("a released lot overflows".into()));
                    }
                    let back = Posting::member(Account::PointsAvailable, m, share.points);
                    postings.push(back.on_lot(share.lot_id));
                }
                postings.push(Posting::tenant(Account::PointsExpired, expired));
                postings
            }
            HoldKind::StoredValue => vec![
                Posting::member(Account::SvHeld, m, -hold.principal_part)
                    .of_part(SvPart::Principal),
                Posting::member(Account::SvHeld, m, -hold.bonus_part).of_part(SvPart::Bonus),
                Posting::member(Account::SvPrincipal, m, hold.principal_part),
                Posting::member(Account::SvBonus, m, hold.bonus_part),
            ],
        };
        post(conn, ctx.tenant, &h, postings).await?;
        Ok(Some(settled))
    }
}
