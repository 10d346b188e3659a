//! UsersMergeReversed: a merge undone by an admin, split back by the merge's own journal. A
//! re-pointed member (`merge:repoint:<merge>`) goes back to the restored user. A combined one
//! gets back what the merge moved and the kept member still has of it — the points left on the
//! lots the merge created (each keeping its expiry), its principal and bonus up to what is
//! available, its growth — and is ACTIVE again; what the kept member spent or earned since
//! stays with the kept member, as the contract says. So do its unused coupons, manual tags,
//! commission and invitees that are still with the kept member (`merges/belongings.rs`). One
//! entry per asset, keyed
//! `unmerge:points:<merge>` and `unmerge:stored_value:<merge>`, the first of them the claim that
//! makes a redelivery or a concurrent reversal apply once.

use sea_orm::ConnectionTrait;
use siyu_core::Ctx;
use uuid::Uuid;

use super::transfers::post_between;
use super::{Begun, begin, head, lock, new_lot};
use crate::app::App;
use crate::app::domain::{Account, EntryType, MemberId, MemberStatus, Posting};
use crate::app::tiers::Grow;
use crate::{AppError, repo};

impl App {
    /// Applies UsersMergeReversed `merge_id`; answers whether anything was split back.
    pub async fn reverse_merge(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        merge_id: Uuid,
        merged_user: Uuid,
    ) -> Result<bool, AppError> {
        let now_ms = self.now_ms();
        let t = ctx.tenant;
        if let Some((e, _)) =
            repo::ledger::by_key(conn, t, &format!("merge:repoint:{merge_id}")).await?
        {
            repo::members::by_id(conn, t, e.member_id, true).await?;
            return repo::members::merges::repoint(conn, t, e.member_id, merged_user, now_ms).await;
        }
        let Some((moved, _)) =
            repo::ledger::by_key(conn, t, &format!("merge:points:{merge_id}")).await?
        else {
            return Ok(false);
        };
        let gone = moved.member_id;
        let kept = Uuid::parse_str(&moved.reference_id)
            .map(MemberId)
            .map_err(|_| AppError::Internal("merge entry without its kept member".into()))?;
        let mut h = head(
            ctx,
            EntryType::Transfer,
            kept,
            format!("unmerge:points:{merge_id}"),
            format!("unmerge|{kept}|{gone}"),
            now_ms,
        );
        h.description = "账户合并撤销".into();
        h.reference_id = gone.to_string();
        if let Begun::Repeat(_) = begin(conn, t, &h).await? {
            return Ok(false);
        }
        let (first, second) = if gone.0 < kept.0 {
            (gone, kept)
        } else {
            (kept, gone)
        };
        let a = lock(conn, ctx, first, now_ms).await?;
        let b = lock(conn, ctx, second, now_ms).await?;
        let (from, to) = if a.member.id == kept { (a, b) } else { (b, a) };
        // Points left on the lots the merge created, each with its expiry.
        let mut postings = Vec::new();
        for lot in repo::ledger::lots::of_entry(conn, t, kept, moved.id).await? {
            if !repo::ledger::lots::change(conn, t, lot.id, -lot.remaining).await? {
                return Err(AppError::Internal(
                    "a merged lot changed under its lock".into(),
                ));
            }
            postings.push(
                Posting::member(Account::PointsAvailable, kept, -lot.remaining).on_lot(lot.id),
            );
            let (_, credit) = new_lot(
                conn,
                t,
                gone,
                lot.remaining,
                lot.expires_at_ms,
                h.id,
                now_ms,
            )
            .await?;
            postings.push(credit);
        }
        post_between(conn, ctx, &h, postings, gone).await?;
        // Stored value moved, as far as the kept member still has it.
        if let Some((sv_moved, _)) =
            repo::ledger::by_key(conn, t, &format!("merge:stored_value:{merge_id}")).await?
        {
            let moved_of = |account: Account| -> i64 {
                sv_moved
                    .postings
                    .iter()
                    .filter(|p| p.account == account && p.member == Some(kept))
                    .map(|p| p.amount)
                    .sum()
            };
            let principal = moved_of(Account::SvPrincipal).min(from.balances.sv_principal);
            let bonus = moved_of(Account::SvBonus).min(from.balances.sv_bonus);
            let mut sv = head(
                ctx,
                EntryType::Transfer,
                kept,
                format!("unmerge:stored_value:{merge_id}"),
                format!("unmerge|{kept}|{gone}"),
                now_ms,
            );
            sv.description = "账户合并撤销".into();
            sv.reference_id = gone.to_string();
            if principal + bonus > 0 && matches!(begin(conn, t, &sv).await?, Begun::Fresh) {
                let postings = vec![
                    Posting::member(Account::SvPrincipal, kept, -principal),
                    Posting::member(Account::SvPrincipal, gone, principal),
                    Posting::member(Account::SvBonus, kept, -bonus),
                    Posting::member(Account::SvBonus, gone, bonus),
                ];
                post_between(conn, ctx, &sv, postings, gone).await?;
            }
        }
        // Growth back, as far as the kept member still has it.
        if let Some((change, _)) =
            repo::tiers::growth::by_key(conn, t, &format!("growth:merge:{merge_id}")).await?
        {
            let back = change.delta.min(from.member.growth_value).max(0);
            if back > 0 {
                let grow = |delta: i64, key: String| Grow {
                    delta,
                    source: "USERS_MERGED",
                    reference_id: merge_id.to_string(),
                    reason: String::new(),
                    key,
                    strict: false,
                };
                self.grow(
                    conn,
                    ctx,
                    &from.member,
                    grow(-back, format!("growth:unmerge:{merge_id}")),
                )
                .await?;
                self.grow(
                    conn,
                    ctx,
                    &to.member,
                    grow(back, format!("growth:unmerged:{merge_id}")),
                )
                .await?;
            }
        }
        let mut restored = to.member.clone();
        restored.status = MemberStatus::Active;
        restored.updated_at_ms = now_ms;
        repo::members::update(conn, t, &restored).await?;
        let back =
            super::merges::belongings::give_back(conn, ctx, merge_id, (gone, kept), now_ms).await?;
        tracing::info!(?back, "merge reversed");
        Ok(true)
    }
}
