//! What else a merge hands from the merged member to the kept one: its unused coupons, manual
//! tags, commission entries and available commission, and its invitees (referrals) — each
//! recorded in `mem_merge_moves`, so the reversal gives back exactly what moved and is still
//! with the kept member. Used or expired coupons, withdrawals in flight and the system tags
//! (recomputed from each member's own orders) stay where they are.

use sea_orm::ConnectionTrait;
use siyu_core::Ctx;
use uuid::Uuid;

use crate::app::domain::MemberId;
use crate::app::tags::{TagId, TagKind};
use crate::repo::members::merges as moves;
use crate::{AppError, repo};

/// How much of each belonging moved (or came back).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Belongings {
    /// Unused coupons.
    pub coupons: usize,
    /// Manual tags the receiving member did not carry.
    pub tags: usize,
    /// Invitees re-pointed.
    pub invitees: usize,
    /// Commission entries.
    pub commission_entries: usize,
    /// Available commission, fen.
    pub commission: i64,
}

const COUPON: &str = "coupon";
const TAG_ADDED: &str = "tag_added";
const TAG_REMOVED: &str = "tag_removed";
const INVITEE: &str = "invitee";
const ENTRY: &str = "commission_entry";
const BALANCE: &str = "commission_balance";

fn tag_ids(ids: &[Uuid]) -> Vec<TagId> {
    ids.iter().copied().map(TagId).collect()
}

/// Hands `gone`'s belongings to `kept` for merge `merge` (the caller holds the merge's claim).
pub async fn move_over(
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
    merge: Uuid,
    (gone, kept): (MemberId, MemberId),
    now_ms: i64,
) -> Result<Belongings, AppError> {
    let t = ctx.tenant;
    let coupons = moves::move_coupons(conn, t, (gone, kept), None, now_ms).await?;
    moves::record(conn, t, merge, COUPON, &coupons, 0).await?;
    let theirs = repo::tags::tags_of(conn, t, gone, TagKind::Manual).await?;
    let mine = repo::tags::tags_of(conn, t, kept, TagKind::Manual).await?;
    let added: Vec<TagId> = theirs
        .iter()
        .filter(|x| !mine.contains(x))
        .copied()
        .collect();
    if !added.is_empty() {
        repo::tags::add_pairs(conn, t, &[kept], &added, now_ms).await?;
    }
    if !theirs.is_empty() {
        repo::tags::remove_pairs(conn, t, &[gone], &theirs).await?;
    }
    let ids = |v: &[TagId]| v.iter().map(|x| x.0).collect::<Vec<_>>();
    moves::record(conn, t, merge, TAG_ADDED, &ids(&added), 0).await?;
    moves::record(conn, t, merge, TAG_REMOVED, &ids(&theirs), 0).await?;
    let invitees = moves::move_invitees(conn, t, (gone, kept), None, now_ms).await?;
    moves::record(conn, t, merge, INVITEE, &invitees, 0).await?;
    let entries = moves::move_commission_entries(conn, t, (gone, kept), None).await?;
    moves::record(conn, t, merge, ENTRY, &entries, 0).await?;
    let commission =
        moves::move_commission_balance(conn, t, (gone, kept), i64::MAX, now_ms).await?;
    if commission > 0 {
        moves::record(conn, t, merge, BALANCE, &[Uuid::nil()], commission).await?;
    }
    Ok(Belongings {
        coupons: coupons.len(),
        tags: added.len(),
        invitees: invitees.len(),
        commission_entries: entries.len(),
        commission,
    })
}

/// Gives back to `gone` what merge `merge` moved to `kept` and `kept` still has: unused
/// coupons, the manual tags (taken off `kept` when the merge put them on), invitees still
/// pointing at `kept`, the commission entries, and the commission up to what is available.
pub async fn give_back(
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
    merge: Uuid,
    (gone, kept): (MemberId, MemberId),
    now_ms: i64,
) -> Result<Belongings, AppError> {
    let t = ctx.tenant;
    let list = |kind: &'static str| async move {
        moves::moved(conn, t, merge, kind)
            .await
            .map(|v| v.into_iter().map(|(id, _)| id).collect::<Vec<_>>())
    };
    let coupons = list(COUPON).await?;
    let coupons = moves::move_coupons(conn, t, (kept, gone), Some(&coupons), now_ms).await?;
    let added = tag_ids(&list(TAG_ADDED).await?);
    if !added.is_empty() {
        repo::tags::remove_pairs(conn, t, &[kept], &added).await?;
    }
    let removed = tag_ids(&list(TAG_REMOVED).await?);
    let mut tags = 0;
    if !removed.is_empty() {
        tags = repo::tags::add_pairs(conn, t, &[gone], &removed, now_ms).await?;
    }
    let invitees = list(INVITEE).await?;
    let invitees = moves::move_invitees(conn, t, (kept, gone), Some(&invitees), now_ms).await?;
    let entries = list(ENTRY).await?;
    let entries = moves::move_commission_entries(conn, t, (kept, gone), Some(&entries)).await?;
    let owed: i64 = moves::moved(conn, t, merge, BALANCE)
        .await?
        .iter()
        .map(|(_, a)| *a)
        .sum();
    let commission = if owed > 0 {
        moves::move_commission_balance(conn, t, (kept, gone), owed, now_ms).await?
    } else {
        0
    };
    Ok(Belongings {
        coupons: coupons.len(),
        tags: usize::try_from(tags).unwrap_or(0),
        invitees: invitees.len(),
        commission_entries: entries.len(),
        commission,
    })
}
