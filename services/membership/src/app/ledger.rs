//! The ledger engine every operation is written with: claim the business key, lock the
//! member, post one balanced entry.
//!
//! - **Exactly once.** [`begin`] inserts the entry row as the claim of its business key. A
//!   concurrent request with the same key waits on the unique index (Postgres) or for the write
//!   lock (SQLite), then finds the committed entry: the same request gets the first result
//!   ([`Begun::Repeat`]), another request with that key LEDGER_KEY_CONFLICT. A refused
//!   operation rolls back with its claim, so a retry is judged afresh.
//! - **Never negative.** [`lock`] locks the member's balance row (`FOR UPDATE`; SQLite's writer
//!   holds the database lock) before anything is checked, so a member's operations run one at a
//!   time and every check sees the committed balances; [`post`] applies the entry with one
//!   conditional UPDATE that refuses to take a column below zero (CHECK constraints too).
//! - **Balanced.** [`post`] refuses an entry whose postings do not sum to zero per asset.
//! - **Lock order.** Hold or top-up row, then entry key, then balance row — the same order in
//!   every operation, so two operations never wait on each other in a cycle.
//! - **Expiry on touch.** [`lock`] expires the member's lots that passed their expiry before an
//!   operation looks at points (one EXPIRY entry), so nothing spends expired points; the expiry
//!   job ([`expiry`]) runs the same lock for members nobody touches.

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, TenantId};
use uuid::Uuid;

use super::domain::{
    Account, Balances, EntryType, JournalEntry, Lot, Member, MemberId, Posting, SvPart,
};
use crate::repo::ledger::EntryHead;
use crate::{AppError, events, repo};

pub mod adjustments;
pub mod arith;
pub mod check_ins;
pub mod earning_rules;
pub mod expiring;
pub mod expiry;
pub mod holds;
pub mod identity_events;
pub mod merge_reversals;
pub mod merges;
pub mod order_cancellation;
pub mod order_earning;
pub mod order_reversals;
pub mod order_settlement;
pub mod points;
pub mod policy;
pub mod reads;
pub mod refunds;
pub mod reports;
pub mod top_up_plans;
pub mod top_ups;
pub mod transfers;

/// The outcome of claiming a business key.
#[derive(Debug)]
pub enum Begun {
    /// The key is ours: post the entry.
    Fresh,
    /// The same request applied before: this is its entry.
    Repeat(Box<JournalEntry>),
}

/// A member locked for a ledger operation, with the balances it had then.
#[derive(Debug, Clone)]
pub struct Locked {
    /// The member.
    pub member: Member,
    /// Balances after any expiry of due lots.
    pub balances: Balances,
    /// Points this lock expired (0 when nothing was due).
    pub expired: i64,
    /// The member's open lots after that expiry, in consumption order: read once under the
    /// lock, so an operation that only adds a lot can answer what expires soon without reading
    /// them again.
    pub open_lots: Vec<Lot>,
}

/// A new entry head for `member` (the caller fills in what concerns it).
pub fn head(
    ctx: &Ctx,
    entry_type: EntryType,
    member: MemberId,
    key: String,
    fingerprint: String,
    now_ms: i64,
) -> EntryHead {
    EntryHead {
        id: siyu_core::id::new(),
        entry_type,
        member_id: member,
        key,
        fingerprint,
        order_id: None,
        refund_id: None,
        hold_id: None,
        rule_id: None,
        description: String::new(),
        reason: String::new(),
        operator_id: super::callers::operator(ctx),
        reference_id: String::new(),
        created_at_ms: now_ms,
    }
}

/// Claims `head`'s business key (see the module docs).
pub async fn begin(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    head: &EntryHead,
) -> Result<Begun, AppError> {
    if repo::ledger::claim(conn, tenant, head).await? {
        return Ok(Begun::Fresh);
    }
    let (entry, fingerprint) = repo::ledger::by_key(conn, tenant, &head.key)
        .await?
        .ok_or_else(|| AppError::Internal("claimed key without entry".into()))?;
    if fingerprint == head.fingerprint {
        Ok(Begun::Repeat(Box::new(entry)))
    } else {
        Err(AppError::LedgerKeyConflict {
            key: head.key.clone(),
        })
    }
}

/// Locks `member`'s balances and expires its due lots; NOT_FOUND when the tenant has no such
/// member.
pub async fn lock(
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
    member: MemberId,
    now_ms: i64,
) -> Result<Locked, AppError> {
    let found = repo::members::by_id(conn, ctx.tenant, member, false)
        .await?
        .ok_or(AppError::MemberNotFound)?;
    lock_known(conn, ctx, found, now_ms).await
}

/// [`lock`] for a member the caller has just read in this transaction (its status is re-read
/// by nobody else between: status changes do not take the balance lock either).
pub async fn lock_known(
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
    found: Member,
    now_ms: i64,
) -> Result<Locked, AppError> {
    let mut balances = repo::ledger::balances::get(conn, ctx.tenant, found.id, true)
        .await?
        .ok_or_else(|| AppError::Internal("member without balances".into()))?;
    let before = balances.points_available;
    let (due, open_lots): (Vec<Lot>, Vec<Lot>) =
        repo::ledger::lots::open(conn, ctx.tenant, found.id)
            .await?
            .into_iter()
            .partition(|l| l.expires_at_ms.is_some_and(|e| e <= now_ms));
    if let Some(after) = expire_due(conn, ctx, &found, due, now_ms).await? {
        balances = after;
    }
    Ok(Locked {
        member: found,
        expired: before - balances.points_available,
        balances,
        open_lots,
    })
}

/// The member-balance change a set of postings makes.
pub fn delta_of(postings: &[Posting]) -> Balances {
    let mut d = Balances::default();
    for p in postings {
        match (p.account, p.part) {
            (Account::PointsAvailable, _) => d.points_available += p.amount,
            (Account::PointsHeld, _) => d.points_held += p.amount,
            (Account::SvPrincipal, _) => d.sv_principal += p.amount,
            (Account::SvBonus, _) => d.sv_bonus += p.amount,
            (Account::SvHeld, SvPart::Bonus) => d.sv_held_bonus += p.amount,
            (Account::SvHeld, _) => d.sv_held_principal += p.amount,
            // Newly issued points count towards the lifetime total; taking them back does not
            // un-earn them.
            (Account::PointsIssued, _) if p.amount < 0 => d.points_earned_total -= p.amount,
            _ => {}
        }
    }
    d
}

/// Writes the postings of a claimed entry and applies them to the member's balances; answers
/// the entry and the balances after.
pub async fn post(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    head: &EntryHead,
    postings: Vec<Posting>,
) -> Result<(JournalEntry, Balances), AppError> {
    let postings: Vec<Posting> = postings.into_iter().filter(|p| p.amount != 0).collect();
    if !super::domain::balanced(&postings) {
        return Err(AppError::Internal(format!("unbalanced entry {}", head.key)));
    }
    if postings
        .iter()
        .any(|p| p.account.is_member() && p.member != Some(head.member_id))
    {
        return Err(AppError::Internal(format!(
            "entry {} posts to another member",
            head.key
        )));
    }
    let delta = delta_of(&postings);
    let points_delta = delta.points_available;
    let sv_delta = delta.sv_principal + delta.sv_bonus;
    let after = repo::ledger::complete_and_apply(
        conn,
        tenant,
        head,
        &postings,
        (points_delta, sv_delta),
        &delta,
    )
    .await?
    .ok_or_else(|| AppError::Internal(format!("entry {} would overdraw", head.key)))?;
    let entry = JournalEntry {
        id: head.id,
        entry_type: head.entry_type,
        member_id: head.member_id,
        key: head.key.clone(),
        order_id: head.order_id,
        refund_id: head.refund_id,
        hold_id: head.hold_id,
        rule_id: head.rule_id,
        points_delta,
        sv_delta,
        description: head.description.clone(),
        reason: head.reason.clone(),
        operator_id: head.operator_id.clone(),
        reference_id: head.reference_id.clone(),
        postings,
        created_at_ms: head.created_at_ms,
    };
    Ok((entry, after))
}

/// Consumes `points` from the member's open lots, oldest-expiring first; answers the postings
/// (available −n per lot) and what each lot gave. The caller has checked the balance.
pub async fn take_points(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    points: i64,
) -> Result<(Vec<Posting>, Vec<(Uuid, i64)>), AppError> {
    let lots = repo::ledger::lots::open(conn, tenant, member).await?;
    let remaining: Vec<(Uuid, i64)> = lots.iter().map(|l| (l.id, l.remaining)).collect();
    let taken = arith::take_oldest(&remaining, points)
        .ok_or_else(|| AppError::Internal("lots do not cover the available balance".into()))?;
    let mut postings = Vec::with_capacity(taken.len());
    for (lot, n) in &taken {
        if !repo::ledger::lots::change(conn, tenant, *lot, -n).await? {
            return Err(AppError::Internal(format!(
                "lot {lot} changed under its lock"
            )));
        }
        postings.push(Posting::member(Account::PointsAvailable, member, -n).on_lot(*lot));
    }
    Ok((postings, taken))
}

/// Credits `points` to a new lot of the member expiring at `expires_at_ms`; answers the lot and
/// its posting (the caller posts the counter-leg).
pub async fn new_lot(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    points: i64,
    expires_at_ms: Option<i64>,
    entry: Uuid,
    now_ms: i64,
) -> Result<(Lot, Posting), AppError> {
    let lot = Lot {
        id: siyu_core::id::new(),
        member_id: member,
        original: points,
        remaining: points,
        expires_at_ms,
        entry_id: entry,
        created_at_ms: now_ms,
    };
    repo::ledger::lots::insert(conn, tenant, &lot).await?;
    let posting = Posting::member(Account::PointsAvailable, member, points).on_lot(lot.id);
    Ok((lot, posting))
}

/// Expires `due` (the member's open lots whose expiry passed) in one EXPIRY entry
/// (PointsExpired); answers the balances after, or `None` when nothing was due. Runs under the
/// member's lock.
async fn expire_due(
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
    member: &Member,
    due: Vec<Lot>,
    now_ms: i64,
) -> Result<Option<Balances>, AppError> {
    if due.is_empty() {
        return Ok(None);
    }
    let mut h = head(
        ctx,
        EntryType::Expiry,
        member.id,
        String::new(),
        String::new(),
        now_ms,
    );
    // Unique by construction: each lot expires once, under the lock, whatever the key.
    h.key = format!("expiry:{}:{}", member.id, h.id);
    h.description = "积分过期".into();
    h.operator_id = String::new();
    repo::ledger::claim(conn, ctx.tenant, &h).await?;
    let mut postings = Vec::with_capacity(due.len() + 1);
    let mut expired = 0;
    for lot in &due {
        if !repo::ledger::lots::change(conn, ctx.tenant, lot.id, -lot.remaining).await? {
            return Err(AppError::Internal(format!(
                "lot {} changed under its lock",
                lot.id
            )));
        }
        postings.push(
            Posting::member(Account::PointsAvailable, member.id, -lot.remaining).on_lot(lot.id),
        );
        expired += lot.remaining;
    }
    postings.push(Posting::tenant(Account::PointsExpired, expired));
    let (entry, after) = post(conn, ctx.tenant, &h, postings).await?;
    events::publish::points_expired(conn, ctx.tenant, member, &entry, &after, expired).await?;
    Ok(Some(after))
}
