//! Coupon templates on the wire: Create/Update/Get/List/Publish/StopCouponTemplate and
//! GetCouponTemplateStats.

use siyu_proto::membership::v1 as pb;
use siyu_proto::time::timestamp_ms;
use siyu_server::Paging;
use tonic::{Request, Response};
use uuid::Uuid;

use super::super::convert::{cny, id, mask, text};
use super::super::{Handlers, R, ctx, page_of};
use super::{template, template_patch};
use crate::AppError;
use crate::app::domain::{CouponKind, TemplateStatus};
use crate::repo::coupons::templates::TemplateFilter;

const LIST: Paging = Paging::new("coupon_templates", 20, 100);

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn create(
    h: &Handlers,
    request: Request<pb::CreateCouponTemplateRequest>,
) -> R<pb::CreateCouponTemplateResponse> {
    let ctx = ctx(&request)?;
    let t = template(request.get_ref().template.as_ref())?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let t = app.create_coupon_template(txn, &ctx, t).await?;
                Ok(pb::CreateCouponTemplateResponse {
                    template: Some((&t).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn update(
    h: &Handlers,
    request: Request<pb::UpdateCouponTemplateRequest>,
) -> R<pb::UpdateCouponTemplateResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let paths = mask(req.update_mask.as_ref())?;
    let patch = template_patch(req.template.as_ref(), &paths)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let t = app.update_coupon_template(txn, &ctx, patch, &paths).await?;
                Ok(pb::UpdateCouponTemplateResponse {
                    template: Some((&t).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(template_id = %request.get_ref().template_id))]
pub(in crate::grpc) async fn get(
    h: &Handlers,
    request: Request<pb::GetCouponTemplateRequest>,
) -> R<pb::GetCouponTemplateResponse> {
    let ctx = ctx(&request)?;
    let id = id("template_id", &request.get_ref().template_id)?;
    let (t, held_by_me) = h.app.get_coupon_template(&ctx, id).await?;
    Ok(Response::new(pb::GetCouponTemplateResponse {
        template: Some((&t).into()),
        held_by_me,
    }))
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn list(
    h: &Handlers,
    request: Request<pb::ListCouponTemplatesRequest>,
) -> R<pb::ListCouponTemplatesResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let statuses = req
        .statuses
        .iter()
        .enumerate()
        .map(|(i, s)| {
            TemplateStatus::from_number(*s)
                .ok_or_else(|| AppError::invalid(format!("statuses[{i}]"), "unknown status"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let kind = match req.kind {
        0 => None,
        k => Some(
            CouponKind::from_number(k).ok_or_else(|| AppError::invalid("kind", "unknown kind"))?,
        ),
    };
    let filter = TemplateFilter {
        statuses,
        kind,
        query: text("query", &req.query, 64)?,
        claimable_at_ms: None,
    };
    let sku = text("sku_id", &req.sku_id, 64)?;
    let page = page_of::<Uuid>(&LIST, req.page.as_ref())?;
    let rows = h
        .app
        .list_coupon_templates(&ctx, filter, &sku, (page.after, page.fetch_limit()))
        .await?;
    let (rows, next) = LIST.finish(rows, &page, |t| t.template.id);
    Ok(Response::new(pb::ListCouponTemplatesResponse {
        items: rows
            .iter()
            .map(|t| pb::CouponTemplateListItem {
                template: Some((&t.template).into()),
                claimed_by_me: t.held_by_me > 0,
                can_claim: t.can_claim,
            })
            .collect(),
        page: Some(next),
    }))
}

#[tracing::instrument(skip_all, fields(template_id = %request.get_ref().template_id))]
pub(in crate::grpc) async fn publish(
    h: &Handlers,
    request: Request<pb::PublishCouponTemplateRequest>,
) -> R<pb::PublishCouponTemplateResponse> {
    let ctx = ctx(&request)?;
    let id = id("template_id", &request.get_ref().template_id)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let t = app.publish_coupon_template(txn, &ctx, id).await?;
                Ok(pb::PublishCouponTemplateResponse {
                    template: Some((&t).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(template_id = %request.get_ref().template_id))]
pub(in crate::grpc) async fn stop(
    h: &Handlers,
    request: Request<pb::StopCouponTemplateRequest>,
) -> R<pb::StopCouponTemplateResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let id = id("template_id", &req.template_id)?;
    text("reason", &req.reason, 200)?;
    let revoke = req.revoke_unused;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let (t, revoked) = app.stop_coupon_template(txn, &ctx, id, revoke).await?;
                Ok(pb::StopCouponTemplateResponse {
                    template: Some((&t).into()),
                    revoked_count: i32::try_from(revoked).unwrap_or(i32::MAX),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(template_id = %request.get_ref().template_id))]
pub(in crate::grpc) async fn stats(
    h: &Handlers,
    request: Request<pb::GetCouponTemplateStatsRequest>,
) -> R<pb::GetCouponTemplateStatsResponse> {
    let ctx = ctx(&request)?;
    let id = id("template_id", &request.get_ref().template_id)?;
    let (t, s) = h.app.coupon_template_stats(&ctx, id).await?;
    let n = |v: i64| i32::try_from(v).unwrap_or(i32::MAX);
    Ok(Response::new(pb::GetCouponTemplateStatsResponse {
        template_id: t.id.to_string(),
        issued_count: n(s.issued),
        remaining_quota: if t.total_quota == 0 {
            -1
        } else {
            (t.total_quota - t.issued_count).max(0)
        },
        available_count: n(s.available),
        locked_count: n(s.locked),
        used_count: n(s.used),
        used_in_store_count: n(s.used_in_store),
        expired_count: n(s.expired),
        revoked_count: n(s.revoked),
        usage_rate_bps: if s.issued == 0 {
            0
        } else {
            n(s.used * 10_000 / s.issued)
        },
        discount_total: cny(s.in_store_discount),
        // Orders' paid GMV arrives with the order events, not consumed yet.
        order_gmv: cny(0),
        using_member_count: n(s.using_members),
        by_source: s
            .by_source
            .iter()
            .map(|(source, issued, used)| pb::CouponSourceCount {
                source: i32::from(source.number()),
                issued_count: n(*issued),
                used_count: n(*used),
            })
            .collect(),
        computed_at: Some(timestamp_ms(h.app.now_ms())),
    }))
}
