//! Liability reports (积分负债 / 储值负债) for finance: what the tenant owes its members at a time
//! (the member accounts' balances from their postings) and what flowed through the tenant's
//! counter-accounts over a period.

use siyu_core::Ctx;
use uuid::Uuid;

use crate::app::App;
use crate::app::domain::{Account, EntryType, SvPart};
use crate::repo::ledger::reports::{Flow, Outstanding};
use crate::{AppError, repo};

const DAY_MS: i64 = 86_400_000;

/// The period of a report: balances as of `as_of_ms` (inclusive), flows in [start, end).
#[derive(Debug, Clone, Copy)]
pub struct Period {
    /// Balance date.
    pub as_of_ms: i64,
    /// Flow start.
    pub start_ms: i64,
    /// Flow end (exclusive).
    pub end_ms: i64,
}

/// GetPointsLiabilityReport, in points (and fen for the value).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PointsLiability {
    /// Available + held at as_of.
    pub outstanding: i64,
    /// Its value at the current points_per_yuan, fen.
    pub outstanding_fen: i64,
    /// Issued in the period.
    pub issued: i64,
    /// Redeemed net of refunds.
    pub redeemed: i64,
    /// Expired.
    pub expired: i64,
    /// Taken back (negative adjustments, earn reversals).
    pub reversed: i64,
    /// Expiring in the 30 days after as_of.
    pub expiring_30: i64,
    /// Expiring in the 90 days after as_of.
    pub expiring_90: i64,
    /// Earn reversals in the period that found the points already spent.
    pub shortfall: i64,
}

/// GetStoredValueLiabilityReport, in fen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoredValueLiability {
    /// Principal available + held at as_of.
    pub principal: i64,
    /// Bonus available + held at as_of.
    pub bonus: i64,
    /// Principal topped up in the period.
    pub topped_up: i64,
    /// Bonus granted.
    pub granted_bonus: i64,
    /// Principal spent, net of refunds to balance.
    pub spent_principal: i64,
    /// Bonus spent, net.
    pub spent_bonus: i64,
    /// Principal refunded to payers.
    pub reversed_principal: i64,
    /// Members with a positive balance.
    pub members_with_balance: i64,
}

fn held(rows: &[Outstanding], accounts: &[(Account, Option<SvPart>)]) -> i64 {
    rows.iter()
        .filter(|r| {
            accounts
                .iter()
                .any(|(a, p)| *a == r.account && p.is_none_or(|p| p == r.part))
        })
        .map(|r| r.amount)
        .sum()
}

/// (credits, debits) of `account` (of `part`, of `types`) over the flows.
fn flow(
    flows: &[Flow],
    account: Account,
    part: Option<SvPart>,
    types: Option<&[EntryType]>,
) -> (i64, i64) {
    flows
        .iter()
        .filter(|f| {
            f.account == account
                && part.is_none_or(|p| p == f.part)
                && types.is_none_or(|t| t.contains(&f.entry_type))
        })
        .fold((0, 0), |(c, d), f| (c + f.credit, d + f.debit))
}

impl App {
    /// GetPointsLiabilityReport.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn points_liability(
        &self,
        ctx: &Ctx,
        p: Period,
    ) -> Result<PointsLiability, AppError> {
        let (db, t) = (&self.db, ctx.tenant);
        let rows = repo::ledger::reports::outstanding(db, t, p.as_of_ms, None).await?;
        let flows = repo::ledger::reports::flows(db, t, p.start_ms, p.end_ms, None).await?;
        let policy = repo::ledger::policy::get(db, t).await?;
        let outstanding = held(
            &rows,
            &[
                (Account::PointsAvailable, None),
                (Account::PointsHeld, None),
            ],
        );
        let (issued_back, issued) = flow(&flows, Account::PointsIssued, None, None);
        let (redeemed, refunded) = flow(&flows, Account::PointsRedeemed, None, None);
        let (expired, unexpired) = flow(&flows, Account::PointsExpired, None, None);
        let expiring = |days: i64| {
            repo::ledger::reports::points_expiring(db, t, p.as_of_ms, p.as_of_ms + days * DAY_MS)
        };
        Ok(PointsLiability {
            outstanding,
            outstanding_fen: outstanding.saturating_mul(100) / policy.points_per_yuan.max(1),
            issued,
            redeemed: redeemed - refunded,
            expired: expired - unexpired,
            reversed: issued_back,
            expiring_30: expiring(30).await?,
            expiring_90: expiring(90).await?,
            shortfall: repo::ledger::order_earnings::shortfall_between(db, t, p.start_ms, p.end_ms)
                .await?,
        })
    }

    /// GetStoredValueLiabilityReport, for the tenant or the members of one home store.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn stored_value_liability(
        &self,
        ctx: &Ctx,
        p: Period,
        store: Option<Uuid>,
    ) -> Result<StoredValueLiability, AppError> {
        let (db, t) = (&self.db, ctx.tenant);
        let rows = repo::ledger::reports::outstanding(db, t, p.as_of_ms, store).await?;
        let flows = repo::ledger::reports::flows(db, t, p.start_ms, p.end_ms, store).await?;
        let principal = held(
            &rows,
            &[
                (Account::SvPrincipal, None),
                (Account::SvHeld, Some(SvPart::Principal)),
            ],
        );
        let bonus = held(
            &rows,
            &[
                (Account::SvBonus, None),
                (Account::SvHeld, Some(SvPart::Bonus)),
            ],
        );
        let (_, topped_up) = flow(&flows, Account::SvCash, None, Some(&[EntryType::TopUp]));
        let (reversed, _) = flow(
            &flows,
            Account::SvCash,
            None,
            Some(&[EntryType::TopUpReversal]),
        );
        let (_, granted_bonus) = flow(&flows, Account::SvBonusExpense, None, None);
        let (spent_p, refunded_p) = flow(&flows, Account::SvSpent, Some(SvPart::Principal), None);
        let (spent_b, refunded_b) = flow(&flows, Account::SvSpent, Some(SvPart::Bonus), None);
        Ok(StoredValueLiability {
            principal,
            bonus,
            topped_up,
            granted_bonus,
            spent_principal: spent_p - refunded_p,
            spent_bonus: spent_b - refunded_b,
            reversed_principal: reversed,
            members_with_balance: repo::ledger::reports::members_with_stored_value(
                db, t, p.as_of_ms, store,
            )
            .await?,
        })
    }
}
