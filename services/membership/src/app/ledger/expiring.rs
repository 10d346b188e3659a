//! ListMembersWithExpiringPoints: the guide task "38个会员的积分即将过期" — members with
//! points expiring within N days, most points first, within the caller's org scope (a guide:
//! their own members; a store grant: the store's members).

use siyu_core::Ctx;
use uuid::Uuid;

use crate::app::{App, org_scope};
use crate::repo::ledger::expiring::{ExpiringFilter, ExpiringRow};
use crate::repo::members::Scope;
use crate::{AppError, repo};

/// A ListMembersWithExpiringPoints request, parsed.
#[derive(Debug, Clone)]
pub struct ExpiringQuery {
    /// Window in days.
    pub within_days: i32,
    /// Minimum expiring points.
    pub min_points: i64,
    /// Only this guide's members.
    pub guide_id: Option<Uuid>,
    /// Only this home store's members.
    pub store_id: Option<Uuid>,
}

impl App {
    /// A page of members with expiring points and how many match in all.
    pub async fn expiring_members(
        &self,
        ctx: &Ctx,
        q: &ExpiringQuery,
        after: Option<(i64, Uuid)>,
        limit: u64,
    ) -> Result<(Vec<ExpiringRow>, i64), AppError> {
        let now_ms = self.now_ms();
        let mut f = ExpiringFilter {
            from_ms: now_ms,
            to_ms: now_ms + i64::from(q.within_days) * 86_400_000,
            min_points: q.min_points,
            guide_id: q.guide_id,
            stores: q.store_id.map(|s| vec![s]),
        };
        match org_scope::scope(ctx)? {
            Scope::All => {}
            Scope::Guide(me) => {
                if q.guide_id.is_some_and(|g| g != me) {
                    return Ok((Vec::new(), 0));
                }
                f.guide_id = Some(me);
            }
            Scope::Stores(mine) => {
                f.stores = Some(match q.store_id {
                    Some(s) if mine.contains(&s) => vec![s],
                    Some(_) => Vec::new(),
                    None => mine,
                });
            }
        }
        let rows = repo::ledger::expiring::page(&self.db, ctx.tenant, &f, after, limit).await?;
        let total = repo::ledger::expiring::count(&self.db, ctx.tenant, &f).await?;
        Ok((rows, total))
    }
}
