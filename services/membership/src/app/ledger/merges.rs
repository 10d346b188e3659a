//! UsersMerged: two users became one, so their members do too (the contract's MemberService
//! comment). When only the merged user is a member, that member is re-pointed to the kept user.
//! When both are, the merged member's available points move to the kept member in one TRANSFER
//! entry keeping each lot's expiry (key `merge:points:<merge>`), its stored value in one entry
//! keeping principal and bonus apart (`merge:stored_value:<merge>`), its growth is added to the
//! kept member's (`growth:merge:<merge>`, which may move the kept member up), and it becomes
//! CLOSED. Both balance rows are locked in member-id order (as transfers do); the entry keys
//! and the CLOSED status make a redelivered or concurrent merge apply once.
//!
//! Its unused coupons, manual tags, commission (entries and available balance) and invitees go
//! to the kept member too (`merges/belongings.rs`, recorded for the reversal). Not moved: points
//! and stored value held by the merged member's open orders (they settle on that member).

use sea_orm::ConnectionTrait;
use siyu_core::Ctx;
use uuid::Uuid;

use super::transfers::post_between;
use super::{Begun, begin, head, lock, new_lot, post, take_points};
use crate::app::App;
use crate::app::domain::{Account, EntryType, MemberStatus, Posting};
use crate::app::tiers::Grow;
use crate::{AppError, repo};

pub mod belongings;

/// What a merge did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Merged {
    /// Neither user is a member, or the merge was applied before.
    Nothing,
    /// The merged user's member now belongs to the kept user.
    Repointed,
    /// The merged member's points, stored value, growth and belongings moved; it is closed.
    Combined {
        /// Points moved.
        points: i64,
        /// Stored value moved, fen.
        stored_value: i64,
        /// Coupons, tags, invitees and commission moved.
        belongings: belongings::Belongings,
    },
}

impl App {
    /// Applies UsersMerged `merge_id` (kept user, merged user).
    pub async fn merge_users(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        merge_id: Uuid,
        kept_user: Uuid,
        merged_user: Uuid,
    ) -> Result<Merged, AppError> {
        let now_ms = self.now_ms();
        let Some(gone) = repo::members::by_user(conn, ctx.tenant, merged_user).await? else {
            return Ok(Merged::Nothing);
        };
        let Some(kept) = repo::members::by_user(conn, ctx.tenant, kept_user).await? else {
            // Locks the member row; a concurrent re-pointing finds the kept user taken.
            repo::members::by_id(conn, ctx.tenant, gone.id, true).await?;
            if !repo::members::merges::repoint(conn, ctx.tenant, gone.id, kept_user, now_ms).await?
            {
                return Ok(Merged::Nothing);
            }
            // An entry without postings: the merge's journal, which its reversal reads.
            let mut h = head(
                ctx,
                EntryType::Transfer,
                gone.id,
                format!("merge:repoint:{merge_id}"),
                format!("repoint|{merged_user}"),
                now_ms,
            );
            h.description = "账户合并".into();
            h.reference_id = merged_user.to_string();
            if let Begun::Fresh = begin(conn, ctx.tenant, &h).await? {
                post(conn, ctx.tenant, &h, Vec::new()).await?;
            }
            return Ok(Merged::Repointed);
        };
        // Merged (or erased) before: nothing is left to move.
        if kept.id == gone.id || gone.status == MemberStatus::Closed {
            return Ok(Merged::Nothing);
        }
        // The points entry's key is the merge's claim: a repeat stops here.
        let mut h = head(
            ctx,
            EntryType::Transfer,
            gone.id,
            format!("merge:points:{merge_id}"),
            format!("merge|{}|{}", gone.id, kept.id),
            now_ms,
        );
        h.description = "账户合并".into();
        h.reference_id = kept.id.to_string();
        if let Begun::Repeat(_) = begin(conn, ctx.tenant, &h).await? {
            return Ok(Merged::Nothing);
        }
        let (first, second) = if gone.id.0 < kept.id.0 {
            (gone.id, kept.id)
        } else {
            (kept.id, gone.id)
        };
        let a = lock(conn, ctx, first, now_ms).await?;
        let b = lock(conn, ctx, second, now_ms).await?;
        let from = if a.member.id == gone.id { a } else { b };
        // Points, lot by lot with their expiry.
        let points = from.balances.points_available;
        let mut postings = Vec::new();
        if points > 0 {
            let (taken_postings, taken) = take_points(conn, ctx.tenant, gone.id, points).await?;
            postings = taken_postings;
            for (lot, n) in taken {
                let expires = repo::ledger::lots::get(conn, ctx.tenant, lot)
                    .await?
                    .and_then(|l| l.expires_at_ms);
                let (_, credit) =
                    new_lot(conn, ctx.tenant, kept.id, n, expires, h.id, now_ms).await?;
                postings.push(credit);
            }
        }
        post_between(conn, ctx, &h, postings, kept.id).await?;
        // Stored value, principal and bonus apart.
        let (principal, bonus) = (from.balances.sv_principal, from.balances.sv_bonus);
        if principal + bonus > 0 {
            let mut sv = head(
                ctx,
                EntryType::Transfer,
                gone.id,
                format!("merge:stored_value:{merge_id}"),
                format!("merge|{}|{}", gone.id, kept.id),
                now_ms,
            );
            sv.description = "账户合并".into();
            sv.reference_id = kept.id.to_string();
            if let Begun::Fresh = begin(conn, ctx.tenant, &sv).await? {
                let postings = vec![
                    Posting::member(Account::SvPrincipal, gone.id, -principal),
                    Posting::member(Account::SvPrincipal, kept.id, principal),
                    Posting::member(Account::SvBonus, gone.id, -bonus),
                    Posting::member(Account::SvBonus, kept.id, bonus),
                ];
                post_between(conn, ctx, &sv, postings, kept.id).await?;
            }
        }
        // Growth added to the kept member; the closed member keeps none.
        if gone.growth_value > 0 {
            let add = Grow {
                delta: gone.growth_value,
                source: "USERS_MERGED",
                reference_id: merge_id.to_string(),
                reason: String::new(),
                key: format!("growth:merge:{merge_id}"),
                strict: false,
            };
            self.grow(conn, ctx, &kept, add).await?;
            let out = Grow {
                delta: -gone.growth_value,
                source: "USERS_MERGED",
                reference_id: merge_id.to_string(),
                reason: String::new(),
                key: format!("growth:merged_away:{merge_id}"),
                strict: false,
            };
            self.grow(conn, ctx, &gone, out).await?;
        }
        let mut closed = from.member.clone();
        closed.status = MemberStatus::Closed;
        closed.updated_at_ms = now_ms;
        repo::members::update(conn, ctx.tenant, &closed).await?;
        let belongings =
            belongings::move_over(conn, ctx, merge_id, (gone.id, kept.id), now_ms).await?;
        Ok(Merged::Combined {
            points,
            stored_value: principal + bonus,
            belongings,
        })
    }
}
