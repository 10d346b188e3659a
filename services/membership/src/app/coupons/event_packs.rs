//! Event packs: coupon packs granted by what happens to a member, each once per occasion under
//! a grant key in `mem_coupon_grants` (inserted first, so two handlers of one occasion meet on
//! the unique index and the second grants nothing).
//!
//! | occasion | pack | key |
//! |---|---|---|
//! | enrolment | the tenant's enabled NEW_MEMBER pack | `event:1:<member>:enrolment` |
//! | birthday (daily job) | the held tier's `birthday_coupon_pack_id`, else the tenant's enabled BIRTHDAY pack | `birthday:<member>:<year>` |
//! | moving up a tier | the reached tier's `tier_up_coupon_pack_id` | `tier_up:<member>:<tier code>` |
//! | first paid order (OrderPaid) | the tenant's enabled FIRST_ORDER pack | `first_order:<member>` |
//!
//! An event never fails on its pack: templates not published, ended, over the member's limit
//! or out of quota are left out (logged); members not ACTIVE get none.

use sea_orm::ConnectionTrait;
use siyu_core::Ctx;
use uuid::Uuid;

use super::events::coupon_granted;
use super::issue::{GrantTarget, Provenance, ended, items, over_limit};
use super::template;
use crate::app::App;
use crate::app::domain::{
    Attribution, Coupon, CouponPack, CouponSource, Member, MemberId, MemberStatus, PackTrigger,
    TemplateStatus, Tier,
};
use crate::{AppError, repo};

impl App {
    /// Grants the tenant's enabled pack of `trigger` to `member` once per `occasion` (the
    /// enrolment for NEW_MEMBER). Answers the coupons issued.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, member_id = %member.id))]
    pub async fn grant_event_pack(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        member: &Member,
        trigger: PackTrigger,
        occasion: &str,
    ) -> Result<Vec<Coupon>, AppError> {
        let Some(pack) = repo::coupons::packs::of_trigger(conn, ctx.tenant, trigger).await? else {
            return Ok(Vec::new());
        };
        let key = format!("event:{}:{}:{occasion}", trigger.number(), member.id);
        self.grant_pack_once(conn, ctx, member, &pack, &key).await
    }

    /// The tier-up pack of `reached` for `member`, who just moved up to it (TierChanged):
    /// once per member and tier, so moving down and up again grants it no second time.
    pub async fn grant_tier_up_pack(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        member: &Member,
        reached: &Tier,
    ) -> Result<(), AppError> {
        let Ok(pack) = Uuid::parse_str(&reached.benefits.tier_up_coupon_pack_id) else {
            return Ok(());
        };
        let Some(pack) = repo::coupons::packs::get(conn, ctx.tenant, pack, false).await? else {
            tracing::warn!(tier = %reached.code, "tier-up pack not found");
            return Ok(());
        };
        let key = format!("tier_up:{}:{}", member.id, reached.code);
        self.grant_pack_once(conn, ctx, member, &pack, &key).await?;
        Ok(())
    }

    /// The first-order pack on OrderPaid of `order`: only when the member has no other paid
    /// order, and once per member whatever the bus delivers. Answers the coupons issued.
    pub async fn grant_first_order_pack(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        member: MemberId,
        order: Uuid,
    ) -> Result<Vec<Coupon>, AppError> {
        let m = repo::members::by_id(conn, ctx.tenant, member, false)
            .await?
            .ok_or(AppError::MemberNotFound)?;
        let trigger = PackTrigger::FirstOrder;
        let Some(pack) = repo::coupons::packs::of_trigger(conn, ctx.tenant, trigger).await? else {
            return Ok(Vec::new());
        };
        if repo::coupons::packs::paid_orders_besides(conn, ctx.tenant, member, order).await? > 0 {
            return Ok(Vec::new());
        }
        let key = format!("first_order:{member}");
        self.grant_pack_once(conn, ctx, &m, &pack, &key).await
    }

    /// The birthday pack of `member` for `year`: the held tier's pack when it names one, else
    /// the tenant's enabled BIRTHDAY pack. Answers the coupons issued.
    pub async fn grant_birthday_pack(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        member: &Member,
        year: i32,
    ) -> Result<Vec<Coupon>, AppError> {
        let held = crate::app::tiers::held_by(conn, ctx, &[member]).await?;
        let tier_pack = held
            .get(&member.id)
            .and_then(|(t, _, _)| Uuid::parse_str(&t.benefits.birthday_coupon_pack_id).ok());
        let pack = match tier_pack {
            Some(id) => repo::coupons::packs::get(conn, ctx.tenant, id, false).await?,
            None => {
                let trigger = PackTrigger::Birthday;
                repo::coupons::packs::of_trigger(conn, ctx.tenant, trigger).await?
            }
        };
        let Some(pack) = pack else {
            return Ok(Vec::new());
        };
        let key = birthday_key(member.id, year);
        self.grant_pack_once(conn, ctx, member, &pack, &key).await
    }

    /// Grants `pack` to `member` once under `key` (nothing when the key was used, or when the
    /// member is not active); templates that cannot be issued now are left out.
    pub(crate) async fn grant_pack_once(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        member: &Member,
        pack: &CouponPack,
        key: &str,
    ) -> Result<Vec<Coupon>, AppError> {
        if member.status != MemberStatus::Active {
            return Ok(Vec::new());
        }
        let now = self.now_ms();
        let grant_id = siyu_core::id::new();
        let claimed =
            repo::coupons::grants::claim(conn, ctx.tenant, (key, key), grant_id, now).await?;
        if claimed.is_some() {
            return Ok(Vec::new());
        }
        let how = Provenance {
            source: CouponSource::Event,
            attribution: Attribution::default(),
            grant_id: Some(grant_id),
        };
        let mut coupons = Vec::new();
        for (id, q) in items(conn, ctx, GrantTarget::Pack(pack.id)).await? {
            let t = template(conn, ctx, id, true).await?;
            let quota_left = t.total_quota == 0 || t.issued_count + q <= t.total_quota;
            if t.status != TemplateStatus::Published
                || ended(&t, now)
                || !quota_left
                || over_limit(conn, ctx, &t, member.id, q).await?
            {
                tracing::warn!(template_id = %t.id, key, "event pack template left out");
                continue;
            }
            coupons.extend(
                self.issue(conn, ctx, (&t, q), member.id, &how, None)
                    .await?,
            );
        }
        let issued = i32::try_from(coupons.len()).unwrap_or(i32::MAX);
        repo::coupons::grants::finish(conn, ctx.tenant, grant_id, (1, issued), &[], now).await?;
        let grant = (how.source, how.grant_id, &how.attribution);
        coupon_granted(conn, ctx.tenant, member, &coupons, grant, now).await?;
        Ok(coupons)
    }
}

/// The grant key of `member`'s birthday pack in `year`.
pub fn birthday_key(member: MemberId, year: i32) -> String {
    format!("birthday:{member}:{year}")
}
