//! Slots and placements on the wire.

use siyu_proto::content::v1 as pb;
use uuid::Uuid;

use super::{Check, audience, opt_millis, ts, wire_audience};
use crate::AppError;
use crate::app::slots::{Layout, Placement, Slot, SlotSpec};

/// A wire layout.
pub fn layout_of(n: i32, field: &str, c: &mut Check) -> Layout {
    match pb::SlotLayout::try_from(n) {
        Ok(pb::SlotLayout::Carousel) => Layout::Carousel,
        Ok(pb::SlotLayout::Grid) => Layout::Grid,
        Ok(pb::SlotLayout::Feed) => Layout::Feed,
        Ok(pb::SlotLayout::Popup) => Layout::Popup,
        _ => {
            c.bad(field, "must be CAROUSEL, GRID, FEED or POPUP");
            Layout::Grid
        }
    }
}

fn wire_layout(l: Layout) -> pb::SlotLayout {
    match l {
        Layout::Carousel => pb::SlotLayout::Carousel,
        Layout::Grid => pb::SlotLayout::Grid,
        Layout::Feed => pb::SlotLayout::Feed,
        Layout::Popup => pb::SlotLayout::Popup,
    }
}

/// Whether `s` is a code or page name: `[a-z0-9._-]`, 1..=`max`.
pub fn is_key(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

/// Checks a slot's settings.
pub fn slot_spec(s: &pb::Slot) -> Result<SlotSpec, AppError> {
    let mut c = Check::default();
    if !is_key(&s.code, 64) {
        c.bad("slot.code", "1 to 64 of a-z, 0-9, '.', '_', '-'");
    }
    let name = c.text("slot.name", &s.name, 1, 64);
    if !is_key(&s.page, 32) || s.page.contains('.') {
        c.bad("slot.page", "1 to 32 of a-z, 0-9, '_', '-'");
    }
    let layout = layout_of(s.layout, "slot.layout", &mut c);
    if !(1..=50).contains(&s.max_items) {
        c.bad("slot.max_items", "must be 1..50");
    }
    if !(0..=10_000).contains(&s.sort_order) {
        c.bad("slot.sort_order", "must be 0..10000");
    }
    c.done()?;
    Ok(SlotSpec {
        code: s.code.clone(),
        name,
        page: s.page.clone(),
        layout,
        max_items: s.max_items,
        sort_order: s.sort_order,
        enabled: s.enabled,
    })
}

/// A slot on the wire.
pub fn slot(s: &Slot) -> pb::Slot {
    pb::Slot {
        slot_id: s.id.to_string(),
        code: s.spec.code.clone(),
        name: s.spec.name.clone(),
        page: s.spec.page.clone(),
        layout: wire_layout(s.spec.layout).into(),
        max_items: s.spec.max_items,
        sort_order: s.spec.sort_order,
        enabled: s.spec.enabled,
        etag: s.row_version.to_string(),
    }
}

/// A placement on the wire.
pub fn placement(p: &Placement) -> pb::SlotPlacement {
    pb::SlotPlacement {
        placement_id: p.id.to_string(),
        content_id: p.content_id.to_string(),
        audience: Some(wire_audience(&p.audience)),
        sort_order: p.sort_order,
        start_time: ts(p.start_ms),
        end_time: ts(p.end_ms),
    }
}

/// A slot with its placements on the wire.
pub fn slot_with(s: &Slot, placements: &[Placement]) -> pb::SlotWithPlacements {
    pb::SlotWithPlacements {
        slot: Some(slot(s)),
        placements: placements.iter().map(placement).collect(),
    }
}

/// Checks the placements of SetSlotPlacements.
pub fn placements(list: &[pb::SlotPlacement]) -> Result<Vec<Placement>, AppError> {
    if list.len() > 100 {
        return Err(AppError::invalid("placements", "at most 100"));
    }
    let mut c = Check::default();
    let mut out = Vec::with_capacity(list.len());
    for (i, p) in list.iter().enumerate() {
        let at = format!("placements[{i}]");
        let content_id = if p.content_id.is_empty() {
            c.bad(format!("{at}.content_id"), "required");
            None
        } else {
            c.opt_id(&format!("{at}.content_id"), &p.content_id)
        };
        let audience = audience(&mut c, &format!("{at}.audience"), p.audience.as_ref());
        let start_ms = opt_millis(p.start_time.as_ref());
        let end_ms = opt_millis(p.end_time.as_ref());
        if let (Some(s), Some(e)) = (start_ms, end_ms)
            && e <= s
        {
            c.bad(format!("{at}.end_time"), "must be after start_time");
        }
        if let Some(content_id) = content_id {
            out.push(Placement {
                id: Uuid::nil(),
                content_id,
                audience,
                sort_order: p.sort_order,
                start_ms,
                end_ms,
            });
        }
    }
    c.done()?;
    Ok(out)
}
