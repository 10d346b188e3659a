//! Staff adjustments of points or stored value with a mandatory reason (补偿, correction): the
//! reason and the staff id are on the entry, the journal is the audit trail. Positive points
//! form a lot; negative amounts never exceed what is available. Principal is cash liability:
//! only a tenant admin adjusts it.

use sea_orm::ConnectionTrait;
use siyu_core::Ctx;

use super::{Begun, arith, begin, head, lock, new_lot, post, take_points};
use crate::app::App;
use crate::app::domain::{
    Account, BalanceReport, EntryType, JournalEntry, MemberId, MemberStatus, Posting,
};
use crate::{AppError, events, repo};

/// What an adjustment changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adjustment {
    /// Signed points.
    Points(i64),
    /// Signed fen of principal.
    Principal(i64),
    /// Signed fen of bonus.
    Bonus(i64),
}

/// An AdjustBalance request, parsed.
#[derive(Debug, Clone)]
pub struct Adjust {
    /// The member.
    pub member_id: MemberId,
    /// What and how much.
    pub change: Adjustment,
    /// Why (2..200 characters).
    pub reason: String,
    /// The business key.
    pub key: String,
    /// Lot expiry override for positive points.
    pub expires_at_ms: Option<i64>,
}

impl App {
    /// AdjustBalance.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, member_id = %a.member_id))]
    pub async fn adjust(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        a: Adjust,
    ) -> Result<(JournalEntry, BalanceReport), AppError> {
        if matches!(a.change, Adjustment::Principal(_)) && !ctx.principal.has_role("tenant_admin") {
            return Err(AppError::OutOfScope(
                "adjusting stored-value principal needs tenant_admin".into(),
            ));
        }
        let now = self.clock.now();
        let now_ms = now.timestamp_millis();
        repo::members::by_id(conn, ctx.tenant, a.member_id, false)
            .await?
            .ok_or(AppError::MemberNotFound)?;
        let fingerprint = format!(
            "adjust|{}|{:?}|{:?}",
            a.member_id, a.change, a.expires_at_ms
        );
        let mut h = head(
            ctx,
            EntryType::Adjustment,
            a.member_id,
            a.key.clone(),
            fingerprint,
            now_ms,
        );
        h.reason = a.reason.clone();
        h.description = a.reason.clone();
        if let Begun::Repeat(entry) = begin(conn, ctx.tenant, &h).await? {
            let entry = *entry;
            let balances = self.balance_report(conn, ctx, a.member_id).await?;
            return Ok((entry, balances));
        }
        let locked = lock(conn, ctx, a.member_id, now_ms).await?;
        if locked.member.status == MemberStatus::Closed {
            return Err(AppError::MemberClosed);
        }
        let b = locked.balances;
        let m = a.member_id;
        let postings = match a.change {
            Adjustment::Points(p) if p > 0 => {
                let policy = repo::ledger::policy::get(conn, ctx.tenant).await?;
                let expires = a.expires_at_ms.or_else(|| arith::lot_expiry(&policy, now));
                let (_, credit) = new_lot(conn, ctx.tenant, m, p, expires, h.id, now_ms).await?;
                vec![credit, Posting::tenant(Account::PointsIssued, -p)]
            }
            Adjustment::Points(p) => {
                let take = -p;
                if b.points_available < take {
                    return Err(AppError::PointsInsufficient {
                        available: b.points_available,
                        requested: take,
                    });
                }
                let (mut postings, _) = take_points(conn, ctx.tenant, m, take).await?;
                postings.push(Posting::tenant(Account::PointsIssued, take));
                postings
            }
            Adjustment::Principal(x) | Adjustment::Bonus(x) => {
                let (account, counter, available) = match a.change {
                    Adjustment::Principal(_) => {
                        (Account::SvPrincipal, Account::SvCash, b.sv_principal)
                    }
                    _ => (Account::SvBonus, Account::SvBonusExpense, b.sv_bonus),
                };
                if available + x < 0 {
                    return Err(AppError::StoredValueInsufficient {
                        available,
                        requested: -x,
                    });
                }
                vec![Posting::member(account, m, x), Posting::tenant(counter, -x)]
            }
        };
        let (entry, after) = post(conn, ctx.tenant, &h, postings).await?;
        match a.change {
            Adjustment::Points(p) if p > 0 => {
                events::publish::points_earned(
                    conn,
                    ctx.tenant,
                    &locked.member,
                    &entry,
                    &after,
                    "STAFF_ADJUSTMENT",
                    None,
                )
                .await?;
            }
            Adjustment::Points(_) => {}
            Adjustment::Principal(_) | Adjustment::Bonus(_) => {
                events::publish::stored_value_changed(
                    conn,
                    ctx.tenant,
                    &locked.member,
                    &entry,
                    &after,
                    "ADJUSTMENT",
                )
                .await?;
            }
        }
        let balances = self.balance_report(conn, ctx, m).await?;
        Ok((entry, balances))
    }
}
