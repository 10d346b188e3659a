//! Coupon packs (券包): templates granted together, by staff or on an event (new member,
//! birthday, first order). One enabled pack per trigger: the partial unique index decides
//! between concurrent writers, and its violation is PACK_TRIGGER_TAKEN.

use sea_orm::ConnectionTrait;
use siyu_core::Ctx;
use uuid::Uuid;

use crate::app::App;
use crate::app::domain::CouponPack;
use crate::repo::is_unique_violation;
use crate::{AppError, repo};

/// Items must name templates of the tenant (any status: a pack may be put together before its
/// templates are published; granting needs them published).
async fn check_items(
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
    p: &CouponPack,
) -> Result<(), AppError> {
    for (i, item) in p.items.iter().enumerate() {
        if repo::coupons::templates::get(conn, ctx.tenant, item.template_id, false)
            .await?
            .is_none()
        {
            return Err(AppError::invalid(
                format!("pack.items[{i}].template_id"),
                "no such template",
            ));
        }
    }
    Ok(())
}

async fn save(
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
    p: &CouponPack,
    now_ms: i64,
) -> Result<(), AppError> {
    repo::coupons::packs::save(conn, ctx.tenant, p, now_ms)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                AppError::PackTriggerTaken
            } else {
                e.into()
            }
        })
}

impl App {
    /// CreateCouponPack.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn create_coupon_pack(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        mut p: CouponPack,
    ) -> Result<CouponPack, AppError> {
        p.id = siyu_core::id::new();
        check_items(conn, ctx, &p).await?;
        save(conn, ctx, &p, self.now_ms()).await?;
        Ok(p)
    }

    /// UpdateCouponPack: the `paths` (name, items, trigger, enabled) of `patch`.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, pack_id = %patch.id))]
    pub async fn update_coupon_pack(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        patch: CouponPack,
        paths: &[String],
    ) -> Result<CouponPack, AppError> {
        let mut p = repo::coupons::packs::get(conn, ctx.tenant, patch.id, true)
            .await?
            .ok_or(AppError::CouponPackNotFound)?;
        for path in paths {
            match path.as_str() {
                "name" => p.name.clone_from(&patch.name),
                "items" => p.items.clone_from(&patch.items),
                "trigger" => p.trigger = patch.trigger,
                "enabled" => p.enabled = patch.enabled,
                other => return Err(AppError::UnknownFieldPath(other.to_owned())),
            }
        }
        check_items(conn, ctx, &p).await?;
        save(conn, ctx, &p, self.now_ms()).await?;
        Ok(p)
    }

    /// ListCouponPacks, newest first.
    pub async fn coupon_packs(
        &self,
        ctx: &Ctx,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<CouponPack>, AppError> {
        repo::coupons::packs::list(&self.db, ctx.tenant, after, limit).await
    }
}
