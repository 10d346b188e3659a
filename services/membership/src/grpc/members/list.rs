//! ListMembers on the wire: filters (a segment's live condition among them), order, keyset
//! paging, the capped total; card holder names masked for auditors.

use siyu_core::{Ctx, PrincipalKind};
use siyu_proto::membership::v1 as pb;
use siyu_server::Paging;
use tonic::{Request, Response};
use uuid::Uuid;

use super::super::convert::{each_id, opt_id, opt_time, text};
use super::super::{Handlers, R, ctx, page_of};
use super::member_to_wire;
use crate::AppError;
use crate::app::domain::MemberStatus;
use crate::app::ledger::arith::local_date;
use crate::app::segments::SegmentId;
use crate::repo::members::{ListFilter, MemberOrder};

const LIST: Paging = Paging::new("members", 20, 100);

/// The "MM-DD" of the next `days` days from `today` (today included).
fn birthdays(today: chrono::NaiveDate, days: i32) -> Vec<String> {
    (0..i64::from(days))
        .filter_map(|d| today.checked_add_signed(chrono::Duration::days(d)))
        .map(|d| d.format("%m-%d").to_string())
        .collect()
}

fn parse(req: &pb::ListMembersRequest, today: chrono::NaiveDate) -> Result<ListFilter, AppError> {
    if !(0..=31).contains(&req.birthday_within_days) {
        return Err(AppError::invalid(
            "birthday_within_days",
            "must be within 0..=31",
        ));
    }
    let statuses = match req.status {
        0 => Vec::new(),
        n => vec![
            MemberStatus::from_number(n)
                .ok_or_else(|| AppError::invalid("status", "unknown status"))?,
        ],
    };
    let order = match req.order_by {
        0 | 1 => MemberOrder::Enrolled,
        2 => MemberOrder::Growth,
        3 => MemberOrder::Updated,
        _ => return Err(AppError::invalid("order_by", "unknown order")),
    };
    if req.tier_codes.len() > 20 {
        return Err(AppError::invalid("tier_codes", "at most 20 codes"));
    }
    let query = text("query", req.query.trim(), 50)?;
    Ok(ListFilter {
        query: (!query.is_empty()).then_some(query),
        tier_codes: req.tier_codes.clone(),
        entry_tier_code: None,
        store_ids: each_id("store_ids", &req.store_ids, 100)?,
        guide_id: opt_id("guide_id", &req.guide_id)?,
        tag_ids: each_id("tag_ids", &req.tag_ids, 20)?,
        enrolled_after_ms: opt_time("enrolled_after", req.enrolled_after.as_ref())?,
        enrolled_before_ms: opt_time("enrolled_before", req.enrolled_before.as_ref())?,
        statuses,
        birthdays: birthdays(today, req.birthday_within_days),
        order,
        // Set by the handler: the segment's condition needs the database.
        segment: None,
    })
}

/// True for staff whose only role is auditor: they see card holder names masked.
fn auditor_only(ctx: &Ctx) -> bool {
    ctx.principal.kind == PrincipalKind::Staff
        && ctx.principal.grants.iter().all(|g| g.role == "auditor")
}

/// "张*" for "张三": the first character kept.
fn masked(name: &str) -> String {
    name.chars()
        .next()
        .map(|c| format!("{c}*"))
        .unwrap_or_default()
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn list(
    h: &Handlers,
    request: Request<pb::ListMembersRequest>,
) -> R<pb::ListMembersResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let mut filter = parse(req, local_date(h.app.clock.now()))?;
    let page = page_of::<(i64, Uuid)>(&LIST, req.page.as_ref())?;
    // The contract evaluates the segment at request time: its live condition, not a snapshot.
    if let Some(segment) = opt_id("segment_id", &req.segment_id)? {
        filter.segment = Some(h.app.segment_filter(&ctx, SegmentId(segment)).await?);
    }
    let order = filter.order;
    let (rows, total) = h
        .app
        .members(&ctx, &filter, page.after, page.fetch_limit())
        .await?;
    let (rows, next) = LIST.finish(rows, &page, |m| (order.value_of(m), m.id.0));
    let mask = auditor_only(&ctx);
    let mut members: Vec<pb::Member> = rows
        .iter()
        .map(|m| {
            let mut wire = member_to_wire(m, &ctx);
            if mask {
                wire.card_holder_name = masked(&wire.card_holder_name);
            }
            wire
        })
        .collect();
    let domain: Vec<&crate::app::domain::Member> = rows.iter().collect();
    super::super::tiers::fill_member_tiers(&h.app.db, &ctx, &domain, &mut members).await?;
    let cap = crate::repo::members::TOTAL_CAP;
    Ok(Response::new(pb::ListMembersResponse {
        members,
        page: Some(next),
        total_count: i32::try_from(total.min(cap)).unwrap_or(i32::MAX),
        total_is_lower_bound: total >= cap,
    }))
}
