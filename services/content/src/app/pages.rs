//! What consumers see: a page's slots with their live items, one live item, and lists of live
//! items by tag, kind or product. Only published (or still-live while a newer version is
//! scheduled), unexpired items show, with their placement's and their own audience matching the
//! store being browsed. Segment-limited audiences never match yet (membership's segment check
//! is not wired in), so they are left out for everyone, as for guests.

use siyu_core::{PageRequest, TenantId};
use uuid::Uuid;

use super::App;
use super::contents::lifecycle::visible;
use super::contents::model::{Content, Kind, Snapshot, Status};
use super::slots::Slot;
use crate::AppError;
use crate::repo;

/// One live item as consumers get it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveItem {
    /// The item.
    pub id: Uuid,
    /// Its kind.
    pub kind: Kind,
    /// The live version.
    pub snapshot: Snapshot,
    /// When the live version was published.
    pub published_at_ms: i64,
}

/// Filters of the consumer list.
#[derive(Debug, Clone)]
pub struct PublishedFilter {
    /// The kind (articles when the caller names none).
    pub kind: Kind,
    /// Only items tagged so.
    pub tag: Option<String>,
    /// Only items linking this product.
    pub product_id: Option<Uuid>,
    /// The store being browsed.
    pub store_id: Option<Uuid>,
}

fn live(c: Content, store: Option<Uuid>, now: i64) -> Option<LiveItem> {
    if !visible(&c, now) {
        return None;
    }
    let snapshot = c.live?;
    snapshot.audience.admits(store).then_some(LiveItem {
        id: c.id,
        kind: c.kind,
        snapshot,
        published_at_ms: c.published_at_ms.unwrap_or_default(),
    })
}

impl App {
    /// The enabled slots of `page` in order with their live items for `store`; empty slots
    /// left out.
    pub async fn get_page(
        &self,
        tenant: TenantId,
        page: &str,
        store: Option<Uuid>,
    ) -> Result<Vec<(Slot, Vec<LiveItem>)>, AppError> {
        let now = self.now_ms();
        let mut out = Vec::new();
        for slot in repo::slots::list(&self.db, tenant, Some(page), true).await? {
            let placements: Vec<_> = repo::slots::placements(&self.db, tenant, slot.id)
                .await?
                .into_iter()
                .filter(|p| p.open_at(now) && p.audience.admits(store))
                .collect();
            let ids: Vec<Uuid> = placements.iter().map(|p| p.content_id).collect();
            let mut contents = repo::contents::get_many(&self.db, tenant, &ids).await?;
            let max = usize::try_from(slot.spec.max_items).unwrap_or(0);
            let mut items = Vec::new();
            for p in &placements {
                if items.len() >= max {
                    break;
                }
                let Some(i) = contents.iter().position(|c| c.id == p.content_id) else {
                    continue;
                };
                // An item placed twice shows once, at its first place.
                let c = contents.swap_remove(i);
                if slot.spec.layout.fits(c.kind)
                    && let Some(item) = live(c, store, now)
                {
                    items.push(item);
                }
            }
            if !items.is_empty() {
                out.push((slot, items));
            }
        }
        Ok(out)
    }

    /// One live item for `store`.
    pub async fn get_published(
        &self,
        tenant: TenantId,
        id: Uuid,
        store: Option<Uuid>,
    ) -> Result<LiveItem, AppError> {
        let c = repo::contents::get(&self.db, tenant, id, false)
            .await?
            .ok_or_else(AppError::content_not_found)?;
        if c.status == Status::Archived && c.published_version > 0 {
            return Err(AppError::ContentArchived);
        }
        live(c, store, self.now_ms()).ok_or_else(AppError::content_not_found)
    }

    /// A page of live items, newest publication first.
    pub async fn list_published(
        &self,
        tenant: TenantId,
        filter: &PublishedFilter,
        page: &PageRequest<(i64, Uuid)>,
    ) -> Result<Vec<LiveItem>, AppError> {
        let now = self.now_ms();
        let rows = repo::contents::published(
            &self.db,
            tenant,
            filter,
            now,
            page.after,
            page.fetch_limit(),
        )
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|c| live(c, filter.store_id, now))
            .collect())
    }
}
