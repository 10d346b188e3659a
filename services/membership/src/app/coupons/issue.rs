//! Issuing coupons: a member's claim (领券, optionally paid in points), grants to listed members
//! (staff, guides, partners, campaigns; a template or a pack), and event packs (new member,
//! birthday, first order).
//!
//! Every issue holds the template row locked (see the module docs of `coupons`), checks the
//! claim window, limits and quota against committed counts, and then moves the counters with
//! conditional updates that refuse to cross them.

use std::collections::BTreeMap;

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, PrincipalKind};
use uuid::Uuid;

use super::events::coupon_granted;
use super::{targeting, template};
use crate::app::domain::coupon_rule::window;
use crate::app::domain::{
    Attribution, Coupon, CouponGrant, CouponSource, CouponStatus, CouponTemplate, GrantStatus,
    Member, MemberId, MemberStatus, Skipped, TemplateId, TemplateStatus, Validity,
};
use crate::app::ledger::points::{PURPOSE_POINTS_MALL, Redeem};
use crate::app::{App, callers, org_scope};
use crate::{AppError, repo};

pub mod segment;

/// How coupons came to be: recorded on each and on CouponGranted.
#[derive(Debug, Clone)]
pub struct Provenance {
    /// The source.
    pub source: CouponSource,
    /// Attribution.
    pub attribution: Attribution,
    /// The grant, if any.
    pub grant_id: Option<Uuid>,
}

/// What a grant gives each member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantTarget {
    /// `quantity` coupons of a template.
    Template(TemplateId, i32),
    /// One pack.
    Pack(Uuid),
}

/// A GrantCoupons request, parsed.
#[derive(Debug, Clone)]
pub struct GrantRequest {
    /// What to grant.
    pub target: GrantTarget,
    /// The members, distinct.
    pub members: Vec<MemberId>,
    /// Business key.
    pub key: String,
    /// How the coupons were issued.
    pub provenance: Provenance,
    /// Audit reason.
    pub reason: String,
}

/// What a grant did.
#[derive(Debug, Clone)]
pub struct Granted {
    /// The grant.
    pub grant: CouponGrant,
    /// The coupons issued.
    pub coupons: Vec<Coupon>,
}

/// The Asia/Shanghai day of `now_ms` as `YYYY-MM-DD` (the daily claim limit's day).
fn local_day(now_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(now_ms)
        .map(|d| crate::app::ledger::arith::local_date(d).to_string())
        .unwrap_or_default()
}

/// Whether `t`'s coupons would be issued already expired.
pub(super) fn ended(t: &CouponTemplate, now_ms: i64) -> bool {
    matches!(t.validity, Validity::Absolute { until_ms, .. } if until_ms <= now_ms)
}

/// The reason a member cannot be granted `quantity` of `t` now, if any (the template locked).
pub(super) async fn over_limit(
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
    t: &CouponTemplate,
    member: MemberId,
    quantity: i32,
) -> Result<bool, AppError> {
    if t.per_member_limit == 0 {
        return Ok(false);
    }
    let h = repo::coupons::templates::holding(conn, ctx.tenant, t.id, member).await?;
    Ok(h.held + quantity > t.per_member_limit)
}

/// Templates and quantities of a target, merged per template and in id order (the lock order).
pub(super) async fn items(
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
    target: GrantTarget,
) -> Result<Vec<(TemplateId, i32)>, AppError> {
    let mut merged: BTreeMap<TemplateId, i32> = BTreeMap::new();
    match target {
        GrantTarget::Template(id, q) => {
            merged.insert(id, q);
        }
        GrantTarget::Pack(id) => {
            let pack = repo::coupons::packs::get(conn, ctx.tenant, id, false)
                .await?
                .ok_or(AppError::CouponPackNotFound)?;
            for item in pack.items {
                *merged.entry(item.template_id).or_default() += item.quantity;
            }
        }
    }
    Ok(merged.into_iter().collect())
}

impl App {
    /// Issues `n` coupons of the locked template `t` to `member` with the counters; the
    /// caller checked window, limits and quota, the conditional updates refuse regardless.
    pub(super) async fn issue(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        (t, n): (&CouponTemplate, i32),
        member: MemberId,
        how: &Provenance,
        claim_day: Option<&str>,
    ) -> Result<Vec<Coupon>, AppError> {
        let now = self.now_ms();
        if !repo::coupons::templates::add_issued(conn, ctx.tenant, t.id, n, now).await? {
            return Err(AppError::CouponQuotaExhausted);
        }
        let limit = t.per_member_limit;
        if !repo::coupons::templates::add_held(
            conn,
            ctx.tenant,
            (t.id, member),
            n,
            limit,
            claim_day,
        )
        .await?
        {
            return Err(AppError::CouponLimitReached { limit });
        }
        let (from, until) = window(t.validity, now);
        let mut out = Vec::new();
        for _ in 0..n {
            let c = Coupon {
                id: siyu_core::id::new(),
                template_id: t.id,
                member_id: member,
                name: t.name.clone(),
                rule: t.rule.clone(),
                status: CouponStatus::Available,
                valid_from_ms: from,
                valid_until_ms: until,
                source: how.source,
                attribution: how.attribution.clone(),
                grant_id: how.grant_id,
                order_id: None,
                redeemed_store_id: None,
                redeemed_by: String::new(),
                pos_receipt_no: String::new(),
                in_store_discount: 0,
                issued_at_ms: now,
                used_at_ms: None,
                funder: t.funder,
                funder_id: t.funder_id.clone(),
            };
            repo::coupons::insert(conn, ctx.tenant, &c).await?;
            out.push(c);
        }
        Ok(out)
    }

    /// ClaimCoupon: one coupon of a claimable template for the consumer's member, its points
    /// price debited in the same transaction.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, template_id = %id))]
    pub async fn claim_coupon(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: TemplateId,
        attribution: Attribution,
    ) -> Result<Coupon, AppError> {
        let now = self.now_ms();
        let member = callers::member(conn, ctx, None, false).await?;
        if let Some(refusal) = member.refuses_writes() {
            return Err(refusal);
        }
        let t = template(conn, ctx, id, true).await?;
        let why = match t.status {
            // Consumers never see drafts.
            TemplateStatus::Draft => return Err(AppError::CouponTemplateNotFound),
            TemplateStatus::Stopped => Some("stopped"),
            TemplateStatus::Published if !t.claimable => Some("grant_only"),
            TemplateStatus::Published if t.claim_starts_at_ms.is_some_and(|s| now < s) => {
                Some("not_started")
            }
            TemplateStatus::Published if t.claim_ends_at_ms.is_some_and(|e| now >= e) => {
                Some("ended")
            }
            TemplateStatus::Published if ended(&t, now) => Some("expired"),
            TemplateStatus::Published => None,
        };
        if let Some(why) = why {
            return Err(AppError::CouponNotClaimable(why));
        }
        if !t.claim_tier_codes.is_empty() {
            // The tier held now; with no ladder a member holds none and is not admitted.
            let held = crate::app::tiers::held_by(conn, ctx, &[&member]).await?;
            let code = held.get(&member.id).map(|(tier, _, _)| tier.code.as_str());
            if !code.is_some_and(|c| t.claim_tier_codes.iter().any(|x| x == c)) {
                return Err(AppError::CouponNotClaimable("tier"));
            }
        }
        if !t.claim_segment_id.is_empty()
            && !targeting::admits(conn, ctx, &t.claim_segment_id, member.id, now).await?
        {
            return Err(AppError::CouponNotClaimable("segment"));
        }
        let day = local_day(now);
        let h = repo::coupons::templates::holding(conn, ctx.tenant, t.id, member.id).await?;
        if t.per_member_limit > 0 && h.held >= t.per_member_limit {
            return Err(AppError::CouponLimitReached {
                limit: t.per_member_limit,
            });
        }
        if t.per_member_daily_limit > 0
            && h.claimed_day == day
            && h.claimed_on_day >= t.per_member_daily_limit
        {
            return Err(AppError::CouponDailyLimitReached {
                limit: t.per_member_daily_limit,
            });
        }
        if t.total_quota > 0 && t.issued_count >= t.total_quota {
            return Err(AppError::CouponQuotaExhausted);
        }
        let how = Provenance {
            source: CouponSource::Claim,
            attribution,
            grant_id: None,
        };
        let coupons = self
            .issue(conn, ctx, (&t, 1), member.id, &how, Some(&day))
            .await?;
        let coupon = coupons
            .first()
            .cloned()
            .ok_or_else(|| AppError::Internal("a claim issued nothing".into()))?;
        if t.points_price > 0 {
            self.redeem(
                conn,
                ctx,
                Redeem {
                    member_id: Some(member.id),
                    points: t.points_price,
                    key: format!("coupon:claim:{}", coupon.id),
                    purpose: PURPOSE_POINTS_MALL,
                    reference_id: t.id.to_string(),
                    description: format!("兑换券 {}", t.name),
                },
            )
            .await?;
        }
        coupon_granted(
            conn,
            ctx.tenant,
            &member,
            &coupons,
            (how.source, None, &how.attribution),
            now,
        )
        .await?;
        Ok(coupon)
    }

    /// GrantCoupons: all-or-nothing per member (members over a limit, unknown, frozen or outside
    /// the caller's scope are skipped and reported); the whole call fails when the quota cannot
    /// cover everyone else. A repeat of `key` answers the first grant.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, grant_key = %r.key))]
    pub async fn grant_coupons(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        r: GrantRequest,
    ) -> Result<Granted, AppError> {
        let now = self.now_ms();
        let mut ids: Vec<String> = r.members.iter().map(ToString::to_string).collect();
        ids.sort();
        let fingerprint = format!(
            "{:?}|{}|{}",
            r.target,
            r.provenance.source.number(),
            ids.join(",")
        );
        let grant_id = siyu_core::id::new();
        if let Some((grant, fp)) =
            repo::coupons::grants::claim(conn, ctx.tenant, (&r.key, &fingerprint), grant_id, now)
                .await?
        {
            if fp != fingerprint {
                return Err(AppError::GrantKeyConflict { key: r.key });
            }
            let coupons = repo::coupons::by_grant(conn, ctx.tenant, grant.id).await?;
            return Ok(Granted { grant, coupons });
        }
        let items = items(conn, ctx, r.target).await?;
        let mut templates = Vec::with_capacity(items.len());
        for (id, q) in &items {
            let t = template(conn, ctx, *id, true).await?;
            if t.status != TemplateStatus::Published {
                return Err(AppError::TemplateNotPublished);
            }
            if ended(&t, now) {
                return Err(AppError::TemplateExpired);
            }
            templates.push((t, *q));
        }
        let mut skipped = Vec::new();
        let mut accepted: Vec<Member> = Vec::new();
        for id in &r.members {
            let skip = |reason: &str| Skipped {
                member_id: id.0,
                reason: reason.to_owned(),
            };
            let Some(m) = repo::members::by_id(conn, ctx.tenant, *id, false).await? else {
                skipped.push(skip("MEMBER_NOT_FOUND"));
                continue;
            };
            if org_scope::require_on(ctx, &m).is_err() {
                skipped.push(skip("MEMBER_NOT_FOUND"));
                continue;
            }
            if m.status != MemberStatus::Active {
                skipped.push(skip("MEMBER_FROZEN"));
                continue;
            }
            let mut over = false;
            for (t, q) in &templates {
                over |= over_limit(conn, ctx, t, m.id, *q).await?;
            }
            if over {
                skipped.push(skip("COUPON_LIMIT_REACHED"));
                continue;
            }
            accepted.push(m);
        }
        let n = i32::try_from(accepted.len()).unwrap_or(i32::MAX);
        for (t, q) in &templates {
            if t.total_quota > 0
                && i64::from(t.issued_count) + i64::from(q * n) > i64::from(t.total_quota)
            {
                return Err(AppError::CouponQuotaExhausted);
            }
        }
        let how = Provenance {
            grant_id: Some(grant_id),
            ..r.provenance
        };
        let mut coupons = Vec::new();
        for m in &accepted {
            let mut theirs = Vec::new();
            for (t, q) in &templates {
                theirs.extend(self.issue(conn, ctx, (t, *q), m.id, &how, None).await?);
            }
            let grant = (how.source, how.grant_id, &how.attribution);
            coupon_granted(conn, ctx.tenant, m, &theirs, grant, now).await?;
            coupons.extend(theirs);
        }
        let issued = i32::try_from(coupons.len()).unwrap_or(i32::MAX);
        let target = i32::try_from(r.members.len()).unwrap_or(i32::MAX);
        repo::coupons::grants::finish(conn, ctx.tenant, grant_id, (target, issued), &skipped, now)
            .await?;
        tracing::info!(issued, skipped = skipped.len(), reason = %r.reason, "coupons granted");
        Ok(Granted {
            grant: CouponGrant {
                id: grant_id,
                target_count: target,
                issued_count: issued,
                skipped_count: i32::try_from(skipped.len()).unwrap_or(i32::MAX),
                skipped,
                created_at_ms: now,
                status: GrantStatus::Completed,
                processed_count: target,
                error_message: String::new(),
                finished_at_ms: Some(now),
            },
            coupons,
        })
    }

    /// GetCouponGrant: what a grant did.
    pub async fn coupon_grant(&self, ctx: &Ctx, id: Uuid) -> Result<CouponGrant, AppError> {
        repo::coupons::grants::get(&self.db, ctx.tenant, id)
            .await?
            .ok_or(AppError::CouponGrantNotFound)
    }
}

/// The source recorded for a grant by `ctx` when the request leaves it unset.
pub fn default_source(ctx: &Ctx) -> CouponSource {
    match ctx.principal.kind {
        PrincipalKind::Partner => CouponSource::Partner,
        PrincipalKind::Service => CouponSource::Campaign,
        _ => CouponSource::StaffGrant,
    }
}
