//! Coupons (优惠券): templates and packs, issuing (claim, grants, event packs), the checkout
//! lifecycle (lock → use | release, restore after a refund), revocation, in-store redemption
//! (核销) and its reversal, reads and template statistics.
//!
//! Exactly-once and the counters, as the ledger does it: every issue locks the template row
//! first (Postgres `FOR UPDATE`; SQLite's writer holds the database), checks quota, limits and
//! claim window against committed counts, then moves the counters with conditional updates
//! that refuse to cross them — so the total quota and the per-member limit hold under any
//! concurrency, and a refusal rolls the whole issue back. Lock order: lock or grant key row,
//! then templates (by id), then coupons (by id), then the member's balances — no cycles.
//!
//! Expiry is read-time: a coupon past its validity reads EXPIRED and is refused everywhere
//! (`Coupon::status_at`), so no job has to run for it to stop being usable; a release or
//! restore of a coupon whose validity ended stores EXPIRED, and the expiry job (`expiry`)
//! stores it on the rest and sends CouponExpiring reminders. The jobs are in `jobs`.

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, PrincipalKind, RoleGrant};
use uuid::Uuid;

use crate::app::domain::{Coupon, CouponId, CouponTemplate, TemplateId};
use crate::app::{App, callers};
use crate::{AppError, repo};

pub mod birthdays;
pub mod checkout;
pub mod event_packs;
pub mod events;
pub mod expiry;
pub mod in_store;
pub mod issue;
pub mod jobs;
pub mod packs;
pub mod reads;
pub mod targeting;
pub mod templates;

/// The tenant's template `id`; locked (Postgres) when `lock`.
pub(crate) async fn template(
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
    id: TemplateId,
    lock: bool,
) -> Result<CouponTemplate, AppError> {
    repo::coupons::templates::get(conn, ctx.tenant, id, lock)
        .await?
        .ok_or(AppError::CouponTemplateNotFound)
}

/// The tenant's coupon `id` as `ctx` may see it: a consumer only their own (another's is
/// NOT_FOUND, as if it did not exist).
pub(crate) async fn coupon(
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
    id: CouponId,
    lock: bool,
) -> Result<Coupon, AppError> {
    let c = repo::coupons::get(conn, ctx.tenant, id, lock)
        .await?
        .ok_or(AppError::CouponNotFound)?;
    if ctx.principal.kind == PrincipalKind::Consumer {
        let own = callers::own_member(conn, ctx)
            .await
            .map_err(|_| AppError::CouponNotFound)?;
        if own.id != c.member_id {
            return Err(AppError::CouponNotFound);
        }
    }
    Ok(c)
}

/// The role grants that admitted the call.
fn admitted(ctx: &Ctx) -> impl Iterator<Item = &RoleGrant> {
    ctx.principal
        .grants
        .iter()
        .filter(|g| ctx.admitted_roles.is_empty() || ctx.admitted_roles.contains(&g.role))
}

/// Whether a staff caller acts for the whole tenant (a grant on the HQ root) rather than for
/// some stores. Non-staff callers (partners, services) are not org-scoped.
pub(crate) fn tenant_wide(ctx: &Ctx) -> bool {
    ctx.principal.kind != PrincipalKind::Staff || admitted(ctx).any(|g| g.org.0.len() == 1)
}

/// Requires a staff caller's grants to cover `store` (a grant on the root or on the store
/// itself; membership does not know the stores under a region, so that errs on refusing).
pub(crate) fn require_store(ctx: &Ctx, store: Uuid) -> Result<(), AppError> {
    if tenant_wide(ctx) || admitted(ctx).any(|g| g.org.unit() == Some(store)) {
        Ok(())
    } else {
        Err(AppError::OutOfScope(format!(
            "store {store} is outside the caller's scope"
        )))
    }
}

impl App {
    /// The tenant's template `id` (a read).
    pub async fn coupon_template_row(
        &self,
        ctx: &Ctx,
        id: TemplateId,
    ) -> Result<CouponTemplate, AppError> {
        template(&self.db, ctx, id, false).await
    }
}
