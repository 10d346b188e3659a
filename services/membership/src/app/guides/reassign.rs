//! ReassignGuideMembers (离职继承 / 在职转移) and the succession identity's StaffDisabled starts.
//! The book is locked in card-number order and read after the lock: a member a concurrent bind
//! moved away is left where the bind put it, one it moved in waits for the next run — no
//! member is moved twice or lost.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use sea_orm::ConnectionTrait;
use siyu_core::Ctx;
use uuid::Uuid;

use crate::app::domain::{GuideSource, MemberId, Succession, UnbindReason};
use crate::app::{App, org_scope};
use crate::repo::members::Scope;
use crate::repo::members::guides::BookEntry;
use crate::{AppError, events, repo};

/// Most members one reassignment moves without `member_ids`.
pub const MAX_BOOK: i64 = 20_000;

/// A ReassignGuideMembers request, parsed.
#[derive(Debug, Clone)]
pub struct Reassign {
    /// The guide whose members move.
    pub from_guide: Uuid,
    /// The receiving (guide, store) pairs, 1..=50, none of them `from_guide`.
    pub to: Vec<(Uuid, Uuid)>,
    /// GUIDE_RESIGNED or GUIDE_TRANSFERRED.
    pub reason: UnbindReason,
    /// Only these members; empty = the whole book.
    pub member_ids: Vec<MemberId>,
    /// Hand-over note on every new binding.
    pub note: String,
}

/// What a reassignment did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reassigned {
    /// Members moved.
    pub moved: i32,
    /// Requested members not bound to the guide (or outside the caller's stores).
    pub skipped: i32,
    /// Per target, members received.
    pub received: Vec<i32>,
}

/// The active guides serving other members of `store`, besides `leaving`; each shared now, so
/// none of them is disabled before the succession commits.
async fn successors_at(
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
    store: Uuid,
    leaving: Uuid,
) -> Result<Vec<Uuid>, AppError> {
    let candidates = repo::members::guides::store_guides(conn, ctx.tenant, store, leaving).await?;
    let mut guides = Vec::with_capacity(candidates.len());
    for c in candidates {
        if !repo::members::guides::share_guide(conn, ctx.tenant, c).await? {
            guides.push(c);
        }
    }
    Ok(guides)
}

impl App {
    /// ReassignGuideMembers: round-robin over the targets in card-number order.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, from_guide = %r.from_guide))]
    pub async fn reassign_guide_members(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        r: Reassign,
    ) -> Result<Reassigned, AppError> {
        let stores = match org_scope::scope(ctx)? {
            Scope::All => None,
            Scope::Stores(stores) => Some(stores),
            Scope::Guide(_) => return Err(AppError::OutOfScope("guides move no members".into())),
        };
        if let Some(stores) = &stores
            && r.to.iter().any(|(_, store)| !stores.contains(store))
        {
            return Err(AppError::OutOfScope(
                "a target store is outside the caller's stores".into(),
            ));
        }
        // Targets' rows shared in id order before any member is locked (binds lock the member
        // first and share the guide after; sharing never waits on sharing).
        let mut targets: Vec<Uuid> = r.to.iter().map(|(g, _)| *g).collect();
        targets.sort();
        targets.dedup();
        for t in targets {
            self.require_active_guide(conn, ctx, t).await?;
        }
        if r.member_ids.is_empty() {
            let n = repo::members::guides::book_size(conn, ctx.tenant, r.from_guide).await?;
            if n > MAX_BOOK {
                return Err(AppError::ReassignmentTooLarge { members: n });
            }
        }
        let only = (!r.member_ids.is_empty()).then_some(r.member_ids.as_slice());
        let book = repo::members::guides::lock_book(conn, ctx.tenant, r.from_guide, only).await?;
        let (book, outside): (Vec<BookEntry>, Vec<BookEntry>) =
            book.into_iter().partition(|e| match &stores {
                None => true,
                Some(stores) => e.binding.store_id.is_some_and(|s| stores.contains(&s)),
            });
        let requested = i32::try_from(r.member_ids.len()).unwrap_or(i32::MAX);
        let mut done = Reassigned {
            received: vec![0; r.to.len()],
            ..Reassigned::default()
        };
        let now_ms = self.now_ms();
        for (i, e) in book.iter().enumerate() {
            let slot = i % r.to.len();
            let (guide, store) = r.to[slot];
            super::replace(
                conn,
                ctx,
                e.user_id,
                e.binding.member_id,
                Some(&e.binding),
                r.reason,
                (
                    guide,
                    Some(store),
                    GuideSource::Reassignment,
                    r.note.clone(),
                ),
                now_ms,
            )
            .await?;
            done.received[slot] += 1;
            done.moved += 1;
        }
        if !r.member_ids.is_empty() {
            done.skipped = requested - done.moved;
        } else {
            done.skipped = i32::try_from(outside.len()).unwrap_or(i32::MAX);
        }
        Ok(done)
    }

    /// Identity disabled a staff member: the guide takes no new bindings, and its members
    /// follow the tenant's succession rule — to the other active guides of their store
    /// (round-robin in card-number order), or back to the store (binding closed, home store
    /// kept) when the rule says so or the store has no other guide. Answers how many members
    /// moved and how many went back to their store.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %guide))]
    pub async fn guide_disabled(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        guide: Uuid,
        reason: &str,
    ) -> Result<(i32, i32), AppError> {
        let now_ms = self.now_ms();
        repo::members::guides::disable(conn, ctx.tenant, guide, reason, now_ms).await?;
        let policy = repo::members::guides::policy(conn, ctx.tenant).await?;
        let book = repo::members::guides::lock_book(conn, ctx.tenant, guide, None).await?;
        let (mut moved, mut to_store) = (0, 0);
        let mut successors: BTreeMap<Option<Uuid>, (Vec<Uuid>, usize)> = BTreeMap::new();
        for e in &book {
            let store = e.binding.store_id;
            if let Entry::Vacant(slot) = successors.entry(store) {
                let guides = match (policy.succession, store) {
                    (Succession::StoreGuides, Some(s)) => {
                        successors_at(conn, ctx, s, guide).await?
                    }
                    _ => Vec::new(),
                };
                slot.insert((guides, 0));
            }
            let Some((guides, next)) = successors.get_mut(&store) else {
                continue;
            };
            if guides.is_empty() {
                let reason = UnbindReason::GuideResigned;
                repo::members::guides::close(conn, ctx.tenant, e.binding.id, now_ms, reason, None)
                    .await?;
                events::guides::member_guide_changed(
                    conn,
                    ctx.tenant,
                    e.user_id,
                    e.binding.member_id,
                    Some(guide),
                    None,
                    now_ms,
                )
                .await?;
                to_store += 1;
                continue;
            }
            let successor = guides[*next % guides.len()];
            *next += 1;
            super::replace(
                conn,
                ctx,
                e.user_id,
                e.binding.member_id,
                Some(&e.binding),
                UnbindReason::GuideResigned,
                (
                    successor,
                    store,
                    GuideSource::Reassignment,
                    "离职继承".into(),
                ),
                now_ms,
            )
            .await?;
            moved += 1;
        }
        Ok((moved, to_store))
    }
}
