//! Coupon templates: create (DRAFT), update (anything in DRAFT; once published only what the
//! contract lists), publish, stop (optionally revoking unused coupons), reads and statistics.
//!
//! Fields are parsed one by one at the edge; what spans fields (the rule against its kind, the
//! validity window, the funder and its id, a store manager's stores) is checked here on the
//! whole template, after a create or an update has put it together.

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, PrincipalKind};
use uuid::Uuid;

use super::{require_store, template, tenant_wide};
use crate::app::domain::{
    CouponKind, CouponTemplate, Funder, TemplateId, TemplateStats, TemplateStatus, Validity,
};
use crate::app::{App, callers};
use crate::repo::coupons::templates::TemplateFilter;
use crate::{AppError, repo};

/// Paths a published (or stopped) template may still change.
const OPEN_AFTER_PUBLISH: [&str; 8] = [
    "name",
    "description",
    "total_quota",
    "claimable",
    "claim_starts_at",
    "claim_ends_at",
    "claim_tier_codes",
    "claim_segment_id",
];

/// A template as a consumer's list shows it.
#[derive(Debug, Clone)]
pub struct ListedTemplate {
    /// The template.
    pub template: CouponTemplate,
    /// Coupons of it the consumer holds (0 for others).
    pub held_by_me: i32,
    /// Whether a claim could succeed now (quota and limits).
    pub can_claim: bool,
}

/// Checks what spans fields of `t` at `now_ms`; violations name `template.<path>`.
pub fn check(t: &CouponTemplate, now_ms: i64) -> Result<(), AppError> {
    let r = &t.rule;
    let bad = |f: &str, why: &str| Err(AppError::invalid(format!("template.{f}"), why));
    match r.kind {
        CouponKind::AmountOff if r.amount_off < 1 => {
            return bad("rule.amount_off", "required for AMOUNT_OFF, at least 1 fen");
        }
        CouponKind::PercentOff if !(1..=9_999).contains(&r.percent_bps) => {
            return bad(
                "rule.percent_bps",
                "must be within 1..=9999 for PERCENT_OFF",
            );
        }
        CouponKind::Exchange if r.gift_sku_id.is_empty() || r.gift_quantity < 1 => {
            return bad(
                "rule.gift_sku_id",
                "EXCHANGE needs a gift SKU and gift_quantity >= 1",
            );
        }
        _ => {}
    }
    if !r.scope.online && !r.scope.in_store {
        return bad("rule.scope", "must be usable online, in store, or both");
    }
    match t.validity {
        Validity::Absolute { from_ms, until_ms } if until_ms <= from_ms => {
            return bad("validity.valid_until", "must be after valid_from");
        }
        Validity::Absolute { until_ms, .. } if until_ms <= now_ms => {
            return bad("validity.valid_until", "the validity window has ended");
        }
        _ => {}
    }
    if let (Some(s), Some(e)) = (t.claim_starts_at_ms, t.claim_ends_at_ms)
        && e <= s
    {
        return bad("claim_ends_at", "must be after claim_starts_at");
    }
    match t.funder {
        Funder::Brand if !t.funder_id.is_empty() => bad("funder_id", "must be empty for BRAND"),
        Funder::Store if Uuid::parse_str(&t.funder_id).is_err() => {
            bad("funder_id", "must be the funding store's id")
        }
        Funder::Supplier if t.funder_id.is_empty() => bad("funder_id", "required for SUPPLIER"),
        _ => Ok(()),
    }
}

/// A store manager (a caller without a tenant-wide grant) creates and changes only templates
/// their stores fund and that are restricted to their stores.
fn require_own(ctx: &Ctx, t: &CouponTemplate) -> Result<(), AppError> {
    if tenant_wide(ctx) {
        return Ok(());
    }
    let store = Uuid::parse_str(&t.funder_id)
        .ok()
        .filter(|_| t.funder == Funder::Store);
    let Some(store) = store else {
        return Err(AppError::OutOfScope(
            "store managers fund their templates by their store".into(),
        ));
    };
    require_store(ctx, store)?;
    if t.rule.scope.store_ids.is_empty() {
        return Err(AppError::OutOfScope(
            "store managers restrict their templates to their stores".into(),
        ));
    }
    t.rule
        .scope
        .store_ids
        .iter()
        .try_for_each(|s| require_store(ctx, *s))
}

impl App {
    /// CreateCouponTemplate: `t` (id, status and counts are set here) as a DRAFT.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn create_coupon_template(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        mut t: CouponTemplate,
    ) -> Result<CouponTemplate, AppError> {
        let now = self.now_ms();
        t.id = siyu_core::id::new();
        t.status = TemplateStatus::Draft;
        t.issued_count = 0;
        t.created_at_ms = now;
        t.updated_at_ms = now;
        check(&t, now)?;
        require_own(ctx, &t)?;
        repo::coupons::templates::save(conn, ctx.tenant, &t, &callers::operator(ctx)).await?;
        Ok(t)
    }

    /// UpdateCouponTemplate: the `paths` of `patch` onto template `patch.id`.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, template_id = %patch.id))]
    pub async fn update_coupon_template(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        patch: CouponTemplate,
        paths: &[String],
    ) -> Result<CouponTemplate, AppError> {
        let now = self.now_ms();
        let mut t = template(conn, ctx, patch.id, true).await?;
        require_own(ctx, &t)?;
        for path in paths {
            if t.status != TemplateStatus::Draft && !OPEN_AFTER_PUBLISH.contains(&path.as_str()) {
                return Err(AppError::TemplateFieldLocked(path.clone()));
            }
            match path.as_str() {
                "name" => t.name.clone_from(&patch.name),
                "description" => t.description.clone_from(&patch.description),
                "rule" => t.rule = patch.rule.clone(),
                "validity" => t.validity = patch.validity,
                "total_quota" => {
                    let (q, old) = (patch.total_quota, t.total_quota);
                    // 0 is unlimited: the largest quota there is.
                    if q != 0 && q < t.issued_count {
                        return Err(AppError::QuotaBelowIssued {
                            issued: t.issued_count,
                        });
                    }
                    let lowered = q != 0 && (old == 0 || q < old);
                    if t.status != TemplateStatus::Draft && lowered {
                        return Err(AppError::TemplateFieldLocked(
                            "total_quota (raise only)".into(),
                        ));
                    }
                    t.total_quota = q;
                }
                "per_member_limit" => t.per_member_limit = patch.per_member_limit,
                "per_member_daily_limit" => t.per_member_daily_limit = patch.per_member_daily_limit,
                "claimable" => t.claimable = patch.claimable,
                "claim_starts_at" => t.claim_starts_at_ms = patch.claim_starts_at_ms,
                "claim_ends_at" => t.claim_ends_at_ms = patch.claim_ends_at_ms,
                "claim_tier_codes" => t.claim_tier_codes.clone_from(&patch.claim_tier_codes),
                "claim_segment_id" => t.claim_segment_id.clone_from(&patch.claim_segment_id),
                "points_price" => t.points_price = patch.points_price,
                "funder" => t.funder = patch.funder,
                "funder_id" => t.funder_id.clone_from(&patch.funder_id),
                other => return Err(AppError::UnknownFieldPath(other.to_owned())),
            }
        }
        t.updated_at_ms = now;
        // A published template keeps its rule and validity, which may have ended meanwhile:
        // only a draft is checked whole again.
        if t.status == TemplateStatus::Draft {
            check(&t, now)?;
        }
        require_own(ctx, &t)?;
        repo::coupons::templates::save(conn, ctx.tenant, &t, "").await?;
        Ok(t)
    }

    /// GetCouponTemplate: consumers see published templates only, with what they hold of it.
    pub async fn get_coupon_template(
        &self,
        ctx: &Ctx,
        id: TemplateId,
    ) -> Result<(CouponTemplate, i32), AppError> {
        let t = template(&self.db, ctx, id, false).await?;
        if ctx.principal.kind != PrincipalKind::Consumer {
            return Ok((t, 0));
        }
        if t.status != TemplateStatus::Published {
            return Err(AppError::CouponTemplateNotFound);
        }
        // A consumer who is not a member yet holds nothing (and may enrol to claim).
        let held = match callers::own_member(&self.db, ctx).await {
            Ok(me) => {
                repo::coupons::templates::holding(&self.db, ctx.tenant, t.id, me.id)
                    .await?
                    .held
            }
            Err(AppError::MemberNotFound) => 0,
            Err(e) => return Err(e),
        };
        Ok((t, held))
    }

    /// ListCouponTemplates: for consumers the claimable ones in their window (领券中心), with
    /// their claim state; for others by the filter.
    pub async fn list_coupon_templates(
        &self,
        ctx: &Ctx,
        mut filter: TemplateFilter,
        sku: &str,
        (after, limit): (Option<Uuid>, u64),
    ) -> Result<Vec<ListedTemplate>, AppError> {
        let now = self.now_ms();
        let consumer = ctx.principal.kind == PrincipalKind::Consumer;
        if consumer {
            filter.statuses.clear();
            filter.claimable_at_ms = Some(now);
        }
        let rows =
            repo::coupons::templates::list(&self.db, ctx.tenant, &filter, after, limit).await?;
        let own = if consumer {
            Some(callers::own_member(&self.db, ctx).await)
        } else {
            None
        };
        let held = match own {
            Some(Ok(me)) => repo::coupons::templates::holdings(&self.db, ctx.tenant, me.id).await?,
            // Not a member yet (领券中心 is browsed before enrolment): nothing held.
            Some(Err(AppError::MemberNotFound)) | None => Vec::new(),
            Some(Err(e)) => return Err(e),
        };
        Ok(rows
            .into_iter()
            .filter(|t| {
                let s = &t.rule.scope;
                sku.is_empty()
                    || !s.excluded_sku_ids.iter().any(|x| x == sku)
                        && (s.all_goods
                            || s.sku_ids.is_empty() && s.category_ids.is_empty()
                            || s.sku_ids.iter().any(|x| x == sku))
            })
            .map(|t| {
                let held_by_me = held
                    .iter()
                    .find(|(id, _)| *id == t.id)
                    .map_or(0, |(_, n)| *n);
                let can_claim = consumer
                    && (t.total_quota == 0 || t.issued_count < t.total_quota)
                    && (t.per_member_limit == 0 || held_by_me < t.per_member_limit);
                ListedTemplate {
                    template: t,
                    held_by_me,
                    can_claim,
                }
            })
            .collect())
    }

    /// PublishCouponTemplate: DRAFT → PUBLISHED (a published one is answered as is).
    pub async fn publish_coupon_template(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: TemplateId,
    ) -> Result<CouponTemplate, AppError> {
        let now = self.now_ms();
        let mut t = template(conn, ctx, id, true).await?;
        require_own(ctx, &t)?;
        match t.status {
            TemplateStatus::Published => return Ok(t),
            TemplateStatus::Stopped => return Err(AppError::TemplateNotDraft),
            TemplateStatus::Draft => {}
        }
        check(&t, now)?;
        t.status = TemplateStatus::Published;
        t.updated_at_ms = now;
        repo::coupons::templates::save(conn, ctx.tenant, &t, "").await?;
        Ok(t)
    }

    /// StopCouponTemplate: PUBLISHED → STOPPED, revoking unused coupons when asked; answers
    /// the template and how many were revoked (a stopped one is answered as is).
    pub async fn stop_coupon_template(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: TemplateId,
        revoke_unused: bool,
    ) -> Result<(CouponTemplate, u64), AppError> {
        let now = self.now_ms();
        let mut t = template(conn, ctx, id, true).await?;
        require_own(ctx, &t)?;
        match t.status {
            TemplateStatus::Stopped => return Ok((t, 0)),
            TemplateStatus::Draft => return Err(AppError::TemplateNotPublished),
            TemplateStatus::Published => {}
        }
        t.status = TemplateStatus::Stopped;
        t.updated_at_ms = now;
        repo::coupons::templates::save(conn, ctx.tenant, &t, "").await?;
        let revoked = if revoke_unused {
            repo::coupons::revoke_unused(conn, ctx.tenant, id, now).await?
        } else {
            0
        };
        Ok((t, revoked))
    }

    /// GetCouponTemplateStats: counts as of now; store managers only of templates their
    /// stores fund.
    pub async fn coupon_template_stats(
        &self,
        ctx: &Ctx,
        id: TemplateId,
    ) -> Result<(CouponTemplate, TemplateStats), AppError> {
        let t = template(&self.db, ctx, id, false).await?;
        if !tenant_wide(ctx) {
            // Another store's template is not found, like another tenant's.
            require_own(ctx, &t).map_err(|_| AppError::CouponTemplateNotFound)?;
        }
        let stats = repo::coupons::stats(&self.db, ctx.tenant, id, self.now_ms()).await?;
        Ok((t, stats))
    }
}
