//! Page slots and their placements: which published items a page shows where, for which stores
//! and when. Placements are replaced as a whole under the slot's etag; a store manager replaces
//! only the placements limited to their own stores and keeps everyone else's.

use std::collections::HashSet;

use sea_orm::ConnectionTrait;
use siyu_core::Ctx;
use uuid::Uuid;

use super::App;
use super::contents::model::{Audience, Kind};
use super::org_scope::{self, Scope};
use crate::AppError;
use crate::repo;

/// How a slot shows its items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Swiping banners.
    Carousel,
    /// A grid of tiles (banners or articles).
    Grid,
    /// A list of article cards.
    Feed,
    /// One banner over the page.
    Popup,
}

impl Layout {
    /// The stored (and contract) number.
    pub fn number(self) -> i16 {
        match self {
            Self::Carousel => 1,
            Self::Grid => 2,
            Self::Feed => 3,
            Self::Popup => 4,
        }
    }

    /// Whether the layout shows items of `kind`.
    pub fn fits(self, kind: Kind) -> bool {
        match self {
            Self::Carousel | Self::Popup => kind == Kind::Banner,
            Self::Feed => kind == Kind::Article,
            Self::Grid => true,
        }
    }
}

impl TryFrom<i16> for Layout {
    type Error = String;
    fn try_from(n: i16) -> Result<Self, String> {
        match n {
            1 => Ok(Self::Carousel),
            2 => Ok(Self::Grid),
            3 => Ok(Self::Feed),
            4 => Ok(Self::Popup),
            other => Err(format!("slot layout {other}")),
        }
    }
}

/// A slot's settings (what CreateSlot and UpdateSlot write).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotSpec {
    /// Unique key in the tenant, e.g. `home.hero`.
    pub code: String,
    /// Display name for staff.
    pub name: String,
    /// The page, e.g. `home`.
    pub page: String,
    /// Layout.
    pub layout: Layout,
    /// 1..50.
    pub max_items: i32,
    /// Order on its page.
    pub sort_order: i32,
    /// Shown or not.
    pub enabled: bool,
}

/// A stored slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    /// The id.
    pub id: Uuid,
    /// Its settings.
    pub spec: SlotSpec,
    /// The etag of the slot and its placements.
    pub row_version: i64,
}

/// One item placed in a slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// The id (assigned on SetSlotPlacements).
    pub id: Uuid,
    /// The placed item.
    pub content_id: Uuid,
    /// Who sees it.
    pub audience: Audience,
    /// Order in the slot.
    pub sort_order: i32,
    /// Shown from (inclusive).
    pub start_ms: Option<i64>,
    /// Shown until (exclusive).
    pub end_ms: Option<i64>,
}

impl Placement {
    /// Whether the placement's window is open at `now`.
    pub fn open_at(&self, now: i64) -> bool {
        self.start_ms.is_none_or(|s| s <= now) && self.end_ms.is_none_or(|e| now < e)
    }
}

/// Whether a placement belongs to a store manager of `units`: limited to their stores only.
fn owned_by(p: &Placement, units: &[Uuid]) -> bool {
    !p.audience.org_unit_ids.is_empty() && p.audience.org_unit_ids.iter().all(|u| units.contains(u))
}

impl App {
    /// Creates a slot.
    pub async fn create_slot(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        spec: SlotSpec,
    ) -> Result<Slot, AppError> {
        let slot = Slot {
            id: siyu_core::id::new(),
            spec,
            row_version: 1,
        };
        repo::slots::insert(conn, ctx.tenant, &slot, self.now_ms()).await?;
        Ok(slot)
    }

    /// The slot `id` locked for a change under `etag`.
    async fn locked_slot(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
        etag: i64,
    ) -> Result<Slot, AppError> {
        let slot = repo::slots::get(conn, ctx.tenant, id, true)
            .await?
            .ok_or(AppError::SlotNotFound)?;
        if slot.row_version != etag {
            return Err(AppError::ConcurrentModification);
        }
        Ok(slot)
    }

    /// Changes a slot's settings under `etag`; `merge` applies the mask.
    pub async fn update_slot(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
        etag: i64,
        merge: impl FnOnce(&SlotSpec) -> Result<SlotSpec, AppError>,
    ) -> Result<Slot, AppError> {
        let mut slot = self.locked_slot(conn, ctx, id, etag).await?;
        slot.spec = merge(&slot.spec)?;
        slot.row_version += 1;
        repo::slots::save(conn, ctx.tenant, &slot, etag, self.now_ms()).await?;
        Ok(slot)
    }

    /// The tenant's slots (of `page`, if given) with their placements, by page and order.
    pub async fn list_slots(
        &self,
        ctx: &Ctx,
        page: Option<&str>,
    ) -> Result<Vec<(Slot, Vec<Placement>)>, AppError> {
        let slots = repo::slots::list(&self.db, ctx.tenant, page, false).await?;
        let mut out = Vec::with_capacity(slots.len());
        for slot in slots {
            let placements = repo::slots::placements(&self.db, ctx.tenant, slot.id).await?;
            out.push((slot, placements));
        }
        Ok(out)
    }

    /// Replaces the slot's placements under `etag` (see the module docs).
    pub async fn set_placements(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
        etag: i64,
        mut placements: Vec<Placement>,
    ) -> Result<(Slot, Vec<Placement>), AppError> {
        let mut slot = self.locked_slot(conn, ctx, id, etag).await?;
        let ids: Vec<Uuid> = placements
            .iter()
            .map(|p| p.content_id)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let contents = repo::contents::get_many(conn, ctx.tenant, &ids).await?;
        for p in &placements {
            let Some(c) = contents.iter().find(|c| c.id == p.content_id) else {
                return Err(AppError::ContentNotFound {
                    content_id: Some(p.content_id),
                });
            };
            if !slot.spec.layout.fits(c.kind) {
                return Err(AppError::SlotKindMismatch { content_id: c.id });
            }
        }
        if let Scope::Units(units) = org_scope::scope(ctx) {
            if let Some(i) = placements.iter().position(|p| !owned_by(p, &units)) {
                return Err(AppError::invalid(
                    format!("placements[{i}].audience.org_unit_ids"),
                    "must name only stores within the caller's scope",
                ));
            }
            let current = repo::slots::placements(conn, ctx.tenant, id).await?;
            placements.extend(current.into_iter().filter(|p| !owned_by(p, &units)));
        }
        placements.sort_by_key(|p| p.sort_order);
        for p in &mut placements {
            p.id = siyu_core::id::new();
        }
        repo::slots::replace_placements(conn, ctx.tenant, id, &placements).await?;
        slot.row_version += 1;
        repo::slots::save(conn, ctx.tenant, &slot, etag, self.now_ms()).await?;
        Ok((slot, placements))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_take_the_kinds_they_show() {
        assert!(Layout::Carousel.fits(Kind::Banner));
        assert!(!Layout::Carousel.fits(Kind::Article));
        assert!(!Layout::Feed.fits(Kind::Banner));
        assert!(Layout::Grid.fits(Kind::Article) && Layout::Grid.fits(Kind::Banner));
    }

    #[test]
    fn a_window_is_closed_at_its_end() {
        let p = Placement {
            id: Uuid::nil(),
            content_id: Uuid::nil(),
            audience: Audience::default(),
            sort_order: 0,
            start_ms: Some(10),
            end_ms: Some(20),
        };
        assert!(!p.open_at(9) && p.open_at(10) && p.open_at(19) && !p.open_at(20));
    }
}
