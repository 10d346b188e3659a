//! Reading a member's ledger: balances with what expires soon, the journal, the points lots.
//! Consumers (and services exporting a user's data) see their own postings only.

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, PrincipalKind};
use uuid::Uuid;

use crate::app::App;
use crate::app::callers;
use crate::app::domain::{BalanceReport, JournalEntry, Lot, MemberId};
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
