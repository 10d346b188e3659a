//! `cnt_slots` and `cnt_placements`.

use sea_orm::{ConnectionTrait, FromQueryResult};
use siyu_core::TenantId;
use uuid::Uuid;

use super::{
    execute, fetch_all, fetch_one, for_update, is_unique_violation, opt_i64, piped, stored,
    unpiped, uuid,
};
use crate::AppError;
use crate::app::contents::model::Audience;
use crate::app::slots::{Placement, Slot, SlotSpec};

#[derive(Debug, FromQueryResult)]
struct SlotRow {
    id: Uuid,
    code: String,
    name: String,
    page: String,
    layout: i16,
    max_items: i32,
    sort_order: i32,
    enabled: bool,
    row_version: i64,
}

impl SlotRow {
    fn into_slot(self) -> Result<Slot, AppError> {
        Ok(Slot {
            id: self.id,
            spec: SlotSpec {
                code: self.code,
                name: self.name,
                page: self.page,
                layout: stored(self.layout)?,
                max_items: self.max_items,
                sort_order: self.sort_order,
                enabled: self.enabled,
            },
            row_version: self.row_version,
        })
    }
}

const SELECT: &str = "SELECT id, code, name, page, layout, max_items, sort_order, enabled,
    row_version FROM cnt_slots WHERE tenant = $1";

/// Inserts a slot; SLOT_CODE_TAKEN when the tenant has the code.
pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    slot: &Slot,
    now: i64,
) -> Result<(), AppError> {
    let s = &slot.spec;
    execute(
        conn,
        "INSERT INTO cnt_slots (tenant, id, code, name, page, layout, max_items, sort_order,
            enabled, row_version, created_at_ms, updated_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
        [
            uuid(tenant.0),
            uuid(slot.id),
            s.code.as_str().into(),
            s.name.as_str().into(),
            s.page.as_str().into(),
            s.layout.number().into(),
            s.max_items.into(),
            s.sort_order.into(),
            s.enabled.into(),
            slot.row_version.into(),
            now.into(),
        ],
    )
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::SlotCodeTaken
        } else {
            e.into()
        }
    })?;
    Ok(())
}

/// Writes `slot` if its stored row version is still `read`.
pub async fn save(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    slot: &Slot,
    read: i64,
    now: i64,
) -> Result<(), AppError> {
    let s = &slot.spec;
    let n = execute(
        conn,
        "UPDATE cnt_slots SET name = $1, page = $2, layout = $3, max_items = $4,
            sort_order = $5, enabled = $6, row_version = $7, updated_at_ms = $8
         WHERE tenant = $9 AND id = $10 AND row_version = $11",
        [
            s.name.as_str().into(),
            s.page.as_str().into(),
            s.layout.number().into(),
            s.max_items.into(),
            s.sort_order.into(),
            s.enabled.into(),
            slot.row_version.into(),
            now.into(),
            uuid(tenant.0),
            uuid(slot.id),
            read.into(),
        ],
    )
    .await?;
    if n == 1 {
        Ok(())
    } else {
        Err(AppError::ConcurrentModification)
    }
}

/// One slot, locked for update when `lock`.
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    lock: bool,
) -> Result<Option<Slot>, AppError> {
    let lock = if lock { for_update(conn) } else { "" };
    let row: Option<SlotRow> = fetch_one(
        conn,
        &format!("{SELECT} AND id = $2{lock}"),
        [uuid(tenant.0), uuid(id)],
    )
    .await?;
    row.map(SlotRow::into_slot).transpose()
}

/// The tenant's slots (of `page`; only enabled ones when `enabled_only`) by page and order.
pub async fn list(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    page: Option<&str>,
    enabled_only: bool,
) -> Result<Vec<Slot>, AppError> {
    let enabled = if enabled_only { " AND enabled" } else { "" };
    let order = " ORDER BY page, sort_order, code";
    let rows: Vec<SlotRow> = match page {
        Some(page) => {
            fetch_all(
                conn,
                &format!("{SELECT} AND page = $2{enabled}{order}"),
                [uuid(tenant.0), page.into()],
            )
            .await?
        }
        None => fetch_all(conn, &format!("{SELECT}{enabled}{order}"), [uuid(tenant.0)]).await?,
    };
    rows.into_iter().map(SlotRow::into_slot).collect()
}

#[derive(Debug, FromQueryResult)]
struct PlacementRow {
    id: Uuid,
    content_id: Uuid,
    org_units: String,
    segments: String,
    sort_order: i32,
    start_ms: Option<i64>,
    end_ms: Option<i64>,
}

/// A slot's placements by order.
pub async fn placements(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    slot: Uuid,
) -> Result<Vec<Placement>, AppError> {
    let rows: Vec<PlacementRow> = fetch_all(
        conn,
        "SELECT id, content_id, org_units, segments, sort_order, start_ms, end_ms
         FROM cnt_placements WHERE tenant = $1 AND slot_id = $2 ORDER BY sort_order, id",
        [uuid(tenant.0), uuid(slot)],
    )
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Placement {
                id: r.id,
                content_id: r.content_id,
                audience: Audience {
                    org_unit_ids: unpiped(&r.org_units)?,
                    segment_ids: unpiped(&r.segments)?,
                },
                sort_order: r.sort_order,
                start_ms: r.start_ms,
                end_ms: r.end_ms,
            })
        })
        .collect()
}

/// Replaces a slot's placements.
pub async fn replace_placements(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    slot: Uuid,
    placements: &[Placement],
) -> Result<(), AppError> {
    execute(
        conn,
        "DELETE FROM cnt_placements WHERE tenant = $1 AND slot_id = $2",
        [uuid(tenant.0), uuid(slot)],
    )
    .await?;
    for p in placements {
        execute(
            conn,
            "INSERT INTO cnt_placements (tenant, id, slot_id, content_id, org_units, segments,
                sort_order, start_ms, end_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            [
                uuid(tenant.0),
                uuid(p.id),
                uuid(slot),
                uuid(p.content_id),
                piped(&p.audience.org_unit_ids).into(),
                piped(&p.audience.segment_ids).into(),
                p.sort_order.into(),
                opt_i64(p.start_ms),
                opt_i64(p.end_ms),
            ],
        )
        .await?;
    }
    Ok(())
}
