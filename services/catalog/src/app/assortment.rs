//! AssortmentService: where each SKU is sold (online, per store, store-exclusive).

use sea_orm::ConnectionTrait;
use siyu_core::Ctx;
use uuid::Uuid;

use super::domain::StoreMode;
use super::prices::pricing::store_carries;
use super::prices::{require_skus, require_stores};
use super::storefront::read_model;
use super::{App, locations, org_scope};
use crate::{AppError, repo};

/// One SKU's assortment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assortment {
    /// SKU.
    pub sku_id: Uuid,
    /// Sold online.
    pub online: bool,
    /// How `stores` is read.
    pub mode: StoreMode,
    /// Stores for SELECTED / EXCLUDED.
    pub stores: Vec<Uuid>,
}

impl App {
    /// SetAssortment: per SKU, or the template for every SKU of a product.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn set_assortment(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        product: Option<Uuid>,
        mut items: Vec<Assortment>,
    ) -> Result<Vec<Assortment>, AppError> {
        if let Some(pid) = product {
            let p = super::products::load(conn, ctx.tenant, pid).await?;
            let template = items
                .pop()
                .ok_or_else(|| AppError::invalid("template", "required"))?;
            items = p
                .skus
                .iter()
                .map(|s| Assortment {
                    sku_id: s.id,
                    ..template.clone()
                })
                .collect();
        } else {
            let ids: Vec<Uuid> = items.iter().map(|a| a.sku_id).collect();
            require_skus(conn, ctx.tenant, &ids).await?;
        }
        let stores: Vec<Uuid> = items
            .iter()
            .flat_map(|a| a.stores.iter().copied())
            .collect();
        require_stores(conn, ctx.tenant, &stores).await?;
        for a in &mut items {
            if matches!(a.mode, StoreMode::All | StoreMode::None) {
                a.stores.clear();
            }
            a.stores.sort();
            a.stores.dedup();
            repo::assortment::set(conn, ctx.tenant, a.sku_id, a.online, a.mode, &a.stores).await?;
        }
        let skus: Vec<Uuid> = items.iter().map(|a| a.sku_id).collect();
        let products = read_model::products_of_skus(conn, ctx.tenant, &skus).await?;
        read_model::refresh(conn, ctx.tenant, &products, self.now_ms()).await?;
        Ok(items)
    }

    /// SetStoreCarriesSkus: flips one store in or out of many SKUs, keeping each SKU's mode
    /// readable (ALL → EXCLUDED when removing, NONE → SELECTED when adding). Staff flip the
    /// stores they cover.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %store))]
    pub async fn set_store_carries(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        store: Uuid,
        skus: Vec<Uuid>,
        carries: bool,
    ) -> Result<i32, AppError> {
        let l = locations::load(conn, ctx.tenant, store).await?;
        org_scope::require_on(ctx, &l)?;
        require_stores(conn, ctx.tenant, &[store]).await?;
        let found = require_skus(conn, ctx.tenant, &skus).await?;
        let listed = repo::assortment::listed(conn, ctx.tenant, store, &skus).await?;
        let mut changed = 0;
        let products: Vec<Uuid> = found.iter().map(|s| s.product_id).collect();
        for s in found {
            let is_listed = listed.contains(&s.id);
            if store_carries(s.store_mode, is_listed) == carries {
                continue;
            }
            changed += 1;
            match (s.store_mode, carries) {
                (StoreMode::Selected, true) | (StoreMode::Excluded, false) => {
                    repo::assortment::add(conn, ctx.tenant, s.id, store).await?;
                }
                (StoreMode::Selected, false) | (StoreMode::Excluded, true) => {
                    repo::assortment::remove(conn, ctx.tenant, s.id, store).await?;
                }
                (StoreMode::None, _) => {
                    repo::assortment::set(
                        conn,
                        ctx.tenant,
                        s.id,
                        s.online,
                        StoreMode::Selected,
                        &[store],
                    )
                    .await?;
                }
                (StoreMode::All, _) => {
                    repo::assortment::set(
                        conn,
                        ctx.tenant,
                        s.id,
                        s.online,
                        StoreMode::Excluded,
                        &[store],
                    )
                    .await?;
                }
            }
        }
        if changed > 0 {
            read_model::refresh(conn, ctx.tenant, &products, self.now_ms()).await?;
        }
        Ok(changed)
    }

    /// GetAssortment: unknown SKUs omitted.
    pub async fn get_assortment(
        &self,
        ctx: &Ctx,
        ids: &[Uuid],
    ) -> Result<Vec<Assortment>, AppError> {
        let skus = repo::skus::by_keys(
            &self.db,
            ctx.tenant,
            repo::skus::SkuKey::Id,
            ids.iter().map(|i| repo::uuid(*i)).collect(),
        )
        .await?;
        let found: Vec<Uuid> = skus.iter().map(|s| s.id).collect();
        let mut lists = repo::assortment::store_lists(&self.db, ctx.tenant, &found).await?;
        Ok(skus
            .into_iter()
            .map(|s| Assortment {
                sku_id: s.id,
                online: s.online,
                mode: s.store_mode,
                stores: lists.remove(&s.id).unwrap_or_default(),
            })
            .collect())
    }

    /// ListStoreAssortment: staff covering the store; partners.
    pub async fn list_store_assortment(
        &self,
        ctx: &Ctx,
        store: Uuid,
        on_sale_only: bool,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<Uuid>, AppError> {
        let l = locations::load(&self.db, ctx.tenant, store).await?;
        org_scope::require_on(ctx, &l)?;
        repo::assortment::of_store(&self.db, ctx.tenant, store, on_sale_only, after, limit).await
    }
}
