//! Slots on the wire: CreateSlot, UpdateSlot (by mask, under the etag), ListSlots and
//! SetSlotPlacements.

use siyu_proto::content::v1 as pb;
use tonic::{Request, Response};

use super::convert;
use super::{Handlers, R, ctx, etag, id, mask};
use crate::AppError;

/// Mask paths UpdateSlot knows.
const PATHS: [&str; 6] = [
    "name",
    "page",
    "layout",
    "max_items",
    "sort_order",
    "enabled",
];

#[tracing::instrument(skip_all)]
pub(super) async fn create(
    h: &Handlers,
    request: Request<pb::CreateSlotRequest>,
) -> R<pb::CreateSlotResponse> {
    let ctx = ctx(&request)?;
    let slot = request
        .get_ref()
        .slot
        .as_ref()
        .ok_or_else(|| AppError::invalid("slot", "required"))?;
    let spec = convert::slot_spec(slot)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let slot = app.create_slot(txn, &ctx, spec).await?;
                Ok(pb::CreateSlotResponse {
                    slot: Some(convert::slot(&slot)),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all)]
pub(super) async fn update(
    h: &Handlers,
    request: Request<pb::UpdateSlotRequest>,
) -> R<pb::UpdateSlotResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let new = req
        .slot
        .clone()
        .ok_or_else(|| AppError::invalid("slot", "required"))?;
    let slot_id = id("slot.slot_id", &new.slot_id)?;
    let tag = etag("slot.etag", &new.etag)?;
    let paths = mask(req.update_mask.as_ref(), &PATHS)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let slot = app
                    .update_slot(txn, &ctx, slot_id, tag, |current| {
                        let mut merged = convert::slot(&crate::app::slots::Slot {
                            id: slot_id,
                            spec: current.clone(),
                            row_version: tag,
                        });
                        for p in &paths {
                            match p.as_str() {
                                "name" => merged.name.clone_from(&new.name),
                                "page" => merged.page.clone_from(&new.page),
                                "layout" => merged.layout = new.layout,
                                "max_items" => merged.max_items = new.max_items,
                                "sort_order" => merged.sort_order = new.sort_order,
                                "enabled" => merged.enabled = new.enabled,
                                _ => {}
                            }
                        }
                        convert::slot_spec(&merged)
                    })
                    .await?;
                Ok(pb::UpdateSlotResponse {
                    slot: Some(convert::slot(&slot)),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all)]
pub(super) async fn list(
    h: &Handlers,
    request: Request<pb::ListSlotsRequest>,
) -> R<pb::ListSlotsResponse> {
    let ctx = ctx(&request)?;
    let page = request.get_ref().page.as_str();
    if !page.is_empty() && !convert::is_key(page, 32) {
        return Err(AppError::invalid("page", "1 to 32 of a-z, 0-9, '_', '-'").into());
    }
    let slots = h
        .app
        .list_slots(&ctx, Some(page).filter(|p| !p.is_empty()))
        .await?;
    Ok(Response::new(pb::ListSlotsResponse {
        slots: slots
            .iter()
            .map(|(s, p)| convert::slot_with(s, p))
            .collect(),
    }))
}

#[tracing::instrument(skip_all)]
pub(super) async fn set_placements(
    h: &Handlers,
    request: Request<pb::SetSlotPlacementsRequest>,
) -> R<pb::SetSlotPlacementsResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let slot_id = id("slot_id", &req.slot_id)?;
    let tag = etag("etag", &req.etag)?;
    let placements = convert::placements(&req.placements)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let (slot, placements) = app
                    .set_placements(txn, &ctx, slot_id, tag, placements)
                    .await?;
                Ok(pb::SetSlotPlacementsResponse {
                    slot: Some(convert::slot_with(&slot, &placements)),
                })
            })
        })
        .await
}
