//! Reading a member's ledger: balances with what expires soon, the journal, the points lots.
//! Consumers (and services exporting a user's data) see their own postings only.

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, PrincipalKind};
use uuid::Uuid;

use crate::app::App;
use crate::app::callers;
use crate::app::domain::{BalanceReport, Balances, JournalEntry, LedgerPolicy, Lot, MemberId};
use crate::repo::ledger::EntryFilter;
use crate::repo::ledger::lots::{LotFilter, NEVER};
use crate::{AppError, repo};

/// A ListPointsLots request, parsed.
#[derive(Debug, Clone, Copy)]
pub struct LotQuery {
    /// Only lots expiring within this many days (0 = all open lots).
    pub expiring_within_days: i32,
    /// Include exhausted and expired lots.
    pub include_closed: bool,
}

const DAY_MS: i64 = 86_400_000;

/// The balance report from what an operation already holds under the member's lock: its
/// balances after posting and its open lots (with any lot it created), so the answer costs no
/// more reads. Agrees with [`App::balance_report`]: lots expiring after `now_ms` and within the
/// reminder window count as expiring soon; the next expiry is the earliest after `now_ms`.
pub fn report_of(
    member: MemberId,
    balances: Balances,
    open_lots: &[Lot],
    policy: &LedgerPolicy,
    now_ms: i64,
) -> BalanceReport {
    let window = now_ms + i64::from(policy.expiry_reminder_days) * DAY_MS;
    let live = || {
        open_lots
            .iter()
            .filter(|l| l.remaining > 0)
            .filter_map(|l| l.expires_at_ms.map(|e| (e, l.remaining)))
            .filter(|(e, _)| *e > now_ms)
    };
    BalanceReport {
        member_id: member,
        balances,
        points_expiring_soon: live().filter(|(e, _)| *e <= window).map(|(_, n)| n).sum(),
        next_expiry_ms: live().map(|(e, _)| e).min(),
    }
}

impl App {
    /// A member's balances with the points expiring within the policy's reminder window.
    pub async fn balance_report(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        member: MemberId,
    ) -> Result<BalanceReport, AppError> {
        let balances = repo::ledger::balances::get(conn, ctx.tenant, member, false)
            .await?
            .ok_or(AppError::MemberNotFound)?;
        let policy = repo::ledger::policy::get(conn, ctx.tenant).await?;
        let now = self.now_ms();
        let window = now + i64::from(policy.expiry_reminder_days) * DAY_MS;
        let (soon, next) =
            repo::ledger::lots::expiring(conn, ctx.tenant, member, now, window).await?;
        Ok(BalanceReport {
            member_id: member,
            balances,
            points_expiring_soon: soon,
            next_expiry_ms: next,
        })
    }

    /// GetBalances.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn balances_of(
        &self,
        ctx: &Ctx,
        member: Option<MemberId>,
    ) -> Result<BalanceReport, AppError> {
        let m = callers::member(&self.db, ctx, member, false).await?;
        self.balance_report(&self.db, ctx, m.id).await
    }

    /// ListJournalEntries: a page newest first; tenant-account postings only for staff and
    /// partners.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn journal(
        &self,
        ctx: &Ctx,
        member: Option<MemberId>,
        filter: &EntryFilter,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<JournalEntry>, AppError> {
        let m = callers::member(&self.db, ctx, member, false).await?;
        let mut entries =
            repo::ledger::list(&self.db, ctx.tenant, m.id, filter, after, limit).await?;
        if matches!(
            ctx.principal.kind,
            PrincipalKind::Consumer | PrincipalKind::Service
        ) {
            for e in &mut entries {
                e.postings.retain(|p| p.account.is_member());
            }
        }
        Ok(entries)
    }

    /// ListPointsLots: a page soonest expiry first (never-expiring last), and the points left
    /// in every matching lot.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn lots(
        &self,
        ctx: &Ctx,
        member: Option<MemberId>,
        q: LotQuery,
        after: Option<(i64, Uuid)>,
        limit: u64,
    ) -> Result<(Vec<Lot>, i64), AppError> {
        let m = callers::member(&self.db, ctx, member, false).await?;
        let now = self.now_ms();
        let filter = LotFilter {
            include_closed: q.include_closed,
            expiring_before_ms: (q.expiring_within_days > 0)
                .then(|| now + i64::from(q.expiring_within_days) * DAY_MS),
            now_ms: now,
        };
        repo::ledger::lots::list(&self.db, ctx.tenant, m.id, &filter, after, limit).await
    }
}

/// The keyset position of a lot in listings.
pub fn lot_cursor(lot: &Lot) -> (i64, Uuid) {
    (lot.expires_at_ms.unwrap_or(NEVER), lot.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lot(remaining: i64, expires_at_ms: Option<i64>) -> Lot {
        Lot {
            id: Uuid::nil(),
            member_id: MemberId(Uuid::nil()),
            original: remaining.max(1),
            remaining,
            expires_at_ms,
            entry_id: Uuid::nil(),
            created_at_ms: 0,
        }
    }

    #[test]
    fn report_counts_live_lots_inside_the_window_only() {
        let policy = LedgerPolicy {
            expiry_reminder_days: 2,
            ..LedgerPolicy::default()
        };
        let now = 10 * DAY_MS;
        let lots = [
            lot(5, Some(now)),               // expires now: not "soon", already due
            lot(7, Some(now + DAY_MS)),      // inside the window
            lot(11, Some(now + 2 * DAY_MS)), // at the window's edge: inside
            lot(13, Some(now + 3 * DAY_MS)), // after the window
            lot(0, Some(now + DAY_MS / 2)),  // exhausted
            lot(17, None),                   // never expires
        ];
        let r = report_of(
            MemberId(Uuid::nil()),
            Balances::default(),
            &lots,
            &policy,
            now,
        );
        assert_eq!(r.points_expiring_soon, 18);
        assert_eq!(r.next_expiry_ms, Some(now + DAY_MS));
        let none = report_of(
            MemberId(Uuid::nil()),
            Balances::default(),
            &[lot(3, None)],
            &policy,
            now,
        );
        assert_eq!((none.points_expiring_soon, none.next_expiry_ms), (0, None));
    }
}
