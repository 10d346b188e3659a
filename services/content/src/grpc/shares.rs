//! Share links on the wire: CreateShareLink, GetShareLink, ListShareLinks, DisableShareLink,
//! ResolveSceneCode, RecordEngagement and GetFunnelReport. ResolveSceneCode and
//! RecordEngagement take guests (their tenant is the app they name) and de-duplicate only
//! concurrent calls under one `x-idempotency-key`: their own idempotency is the data's (the
//! same reply for every launch of a code; one count per client event id).

use prost_types::Timestamp;
use siyu_core::{PrincipalKind, TenantId};
use siyu_proto::common::v1 as common;
use siyu_proto::content::v1 as pb;
use siyu_proto::time::timestamp_ms;
use siyu_server::{Caller, Paging};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{Handlers, R, ctx, id, opt_id, page_of};
use crate::AppError;
use crate::app::shares::engagements::{Engagement, Kind, Launch, Viewer};
use crate::app::shares::funnel::{Dimension, FunnelQuery, FunnelRow, MAX_RANGE_MS};
use crate::app::shares::scene_code;
use crate::app::shares::{LinkFilter, LinkSpec, ShareLink, SourceKind, Sources};
use crate::events::publish::attribution;

/// Staff's list of links: 20 by default, at most 100.
const LINKS: Paging = Paging::new("share_links", 20, 100);

/// Funnel rows: 50 by default, at most 200.
const FUNNEL: Paging = Paging::new("funnel_rows", 50, 200);

/// A report without a range covers the last 30 days.
const DEFAULT_RANGE_MS: i64 = 30 * 86_400_000;

/// The tenant of a call open to guests: the token's, the app of `x-siyu-app-id`, else the app
/// the request names; none of them is APP_ID_REQUIRED.
async fn tenant<T>(h: &Handlers, request: &Request<T>, app_id: &str) -> Result<TenantId, Status> {
    let caller = Caller::of(request)?;
    match (caller.tenant(), &h.guests) {
        (Some(tenant), _) => Ok(tenant),
        (None, Some(guests)) if !app_id.is_empty() => guests.tenant_of(app_id).await,
        (None, _) => caller.require_tenant(),
    }
}

/// The consumer behind a call, if it carried a consumer's token.
fn user<T>(request: &Request<T>) -> Result<Option<String>, Status> {
    Ok(Caller::of(request)?
        .token_ctx()
        .filter(|c| c.principal.kind == PrincipalKind::Consumer)
        .map(|c| c.principal.subject.clone()))
}

/// A free-text field of at most `max` characters.
fn text(field: &str, value: &str, max: usize) -> Result<String, AppError> {
    if value.chars().count() > max {
        return Err(AppError::invalid(
            field,
            format!("at most {max} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(AppError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(value.trim().to_owned())
}

/// An optional UUID field kept as its canonical text ('' for none).
fn id_text(field: &str, value: &str) -> Result<String, AppError> {
    Ok(opt_id(field, value)?
        .map(|u| u.to_string())
        .unwrap_or_default())
}

/// A source kind (0: none).
fn source_kind(field: &str, n: i32) -> Result<Option<SourceKind>, AppError> {
    if n == 0 {
        return Ok(None);
    }
    i16::try_from(n)
        .ok()
        .and_then(|n| SourceKind::try_from(n).ok())
        .map(Some)
        .ok_or_else(|| AppError::invalid(field, "unknown share source kind"))
}

/// A time as ms since the epoch.
fn ms(t: &Timestamp) -> i64 {
    t.seconds * 1000 + i64::from(t.nanos / 1_000_000)
}

fn link(l: &ShareLink) -> pb::ShareLink {
    pb::ShareLink {
        share_link_id: l.id.to_string(),
        scene_code: l.scene_code.clone(),
        source_kind: i32::from(l.kind.number()),
        content_id: l.sources.content_id.clone(),
        guide_id: l.sources.guide_id.clone(),
        store_id: l.sources.store_id.clone(),
        campaign_id: l.sources.campaign_id.clone(),
        product_id: l.sources.product_id.clone(),
        sharer_user_id: l.sharer_user_id.clone(),
        channel: l.channel,
        page_path: l.page_path.clone(),
        page_query: l.page_query.clone(),
        label: l.label.clone(),
        expire_time: l.expire_ms.map(timestamp_ms),
        disabled: l.disabled,
        created_by: l.created_by.clone(),
        create_time: Some(timestamp_ms(l.created_at_ms)),
    }
}

fn spec(h: &Handlers, req: &pb::CreateShareLinkRequest) -> Result<LinkSpec, AppError> {
    let page_path = text("page_path", &req.page_path, 128)?;
    if page_path.is_empty() {
        return Err(AppError::invalid("page_path", "required"));
    }
    if page_path.contains(['?', '#', ' ']) {
        return Err(AppError::invalid(
            "page_path",
            "a page path without query, fragment or spaces",
        ));
    }
    if common::Channel::try_from(req.channel).is_err() {
        return Err(AppError::invalid("channel", "unknown channel"));
    }
    let expire_ms = req.expire_time.as_ref().map(ms);
    if expire_ms.is_some_and(|e| e <= h.app.now_ms()) {
        return Err(AppError::invalid("expire_time", "must be in the future"));
    }
    Ok(LinkSpec {
        kind: source_kind("source_kind", req.source_kind)?,
        sources: Sources {
            content_id: id_text("content_id", &req.content_id)?,
            guide_id: text("guide_id", &req.guide_id, 64)?,
            store_id: id_text("store_id", &req.store_id)?,
            campaign_id: id_text("campaign_id", &req.campaign_id)?,
            product_id: id_text("product_id", &req.product_id)?,
        },
        channel: req.channel,
        page_path,
        page_query: text("page_query", req.page_query.trim_start_matches('?'), 512)?,
        label: text("label", &req.label, 64)?,
        expire_ms,
        parent: opt_id("parent_share_link_id", &req.parent_share_link_id)?,
    })
}

#[tracing::instrument(skip_all)]
pub(super) async fn create(
    h: &Handlers,
    request: Request<pb::CreateShareLinkRequest>,
) -> R<pb::CreateShareLinkResponse> {
    let ctx = ctx(&request)?;
    let spec = spec(h, request.get_ref())?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let l = app.create_share_link(txn, &ctx, spec).await?;
                let scene = format!("s={}", l.scene_code);
                let share_path = if l.page_query.is_empty() {
                    format!("{}?{scene}", l.page_path)
                } else {
                    format!("{}?{}&{scene}", l.page_path, l.page_query)
                };
                Ok(pb::CreateShareLinkResponse {
                    share_link: Some(link(&l)),
                    wxacode_scene: scene,
                    share_path,
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all)]
pub(super) async fn get(
    h: &Handlers,
    request: Request<pb::GetShareLinkRequest>,
) -> R<pb::GetShareLinkResponse> {
    let ctx = ctx(&request)?;
    let link_id = id("share_link_id", &request.get_ref().share_link_id)?;
    let l = h.app.get_share_link(&ctx, link_id).await?;
    Ok(Response::new(pb::GetShareLinkResponse {
        share_link: Some(link(&l)),
    }))
}

#[tracing::instrument(skip_all)]
pub(super) async fn list(
    h: &Handlers,
    request: Request<pb::ListShareLinksRequest>,
) -> R<pb::ListShareLinksResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let filter = LinkFilter {
        kind: source_kind("source_kind", req.source_kind)?,
        sources: Sources {
            content_id: id_text("content_id", &req.content_id)?,
            guide_id: text("guide_id", &req.guide_id, 64)?,
            store_id: id_text("store_id", &req.store_id)?,
            campaign_id: id_text("campaign_id", &req.campaign_id)?,
            product_id: String::new(),
        },
        stores_in: None,
    };
    let page = page_of::<(i64, Uuid)>(&LINKS, req.page.as_ref())?;
    let rows = h
        .app
        .list_share_links(&ctx, filter, page.after, page.fetch_limit())
        .await?;
    let (rows, page) = LINKS.finish(rows, &page, |l| (l.created_at_ms, l.id));
    Ok(Response::new(pb::ListShareLinksResponse {
        share_links: rows.iter().map(link).collect(),
        page: Some(page),
    }))
}

#[tracing::instrument(skip_all)]
pub(super) async fn disable(
    h: &Handlers,
    request: Request<pb::DisableShareLinkRequest>,
) -> R<pb::DisableShareLinkResponse> {
    let ctx = ctx(&request)?;
    let link_id = id("share_link_id", &request.get_ref().share_link_id)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let l = app.disable_share_link(txn, &ctx, link_id).await?;
                Ok(pb::DisableShareLinkResponse {
                    share_link: Some(link(&l)),
                })
            })
        })
        .await
}

/// Who is behind a guest-open call: the consumer, else the device named (for public callers
/// `device_field` is required when `required`).
fn viewer(
    user: Option<String>,
    device_id: &str,
    device_field: &str,
    required: bool,
) -> Result<Viewer, AppError> {
    let device = text(device_field, device_id, 64)?;
    match user {
        Some(u) => Ok(Viewer::User(u)),
        None if device.is_empty() && required => {
            Err(AppError::invalid(device_field, "required without a login"))
        }
        None => Ok(Viewer::Device(device)),
    }
}

#[tracing::instrument(skip_all)]
pub(super) async fn resolve(
    h: &Handlers,
    request: Request<pb::ResolveSceneCodeRequest>,
) -> R<pb::ResolveSceneCodeResponse> {
    let req = request.get_ref();
    let code = scene_code::parse(&req.scene_code)
        .map_err(|m| AppError::invalid("scene_code", m.describe()))?;
    let tenant = tenant(h, &request, &req.app_id).await?;
    let launch = Launch {
        viewer: viewer(user(&request)?, &req.device_id, "device_id", false)?,
        wechat_scene: req.wechat_scene,
        record_click: req.record_click.unwrap_or(true),
    };
    let app = h.app.clone();
    let l = h
        .mutations
        .dedupe(&request, &tenant.to_string(), async move {
            let txn = siyu_store::db::begin_write(&app.db)
                .await
                .map_err(AppError::from)?;
            let l = app.resolve_scene_code(&txn, tenant, &code, launch).await?;
            txn.commit().await.map_err(AppError::from)?;
            Ok::<_, Status>(l)
        })
        .await?;
    Ok(Response::new(pb::ResolveSceneCodeResponse {
        attribution: Some(attribution(&l)),
        share_link: Some(link(&l)),
    }))
}

#[tracing::instrument(skip_all)]
pub(super) async fn record(
    h: &Handlers,
    request: Request<pb::RecordEngagementRequest>,
) -> R<pb::RecordEngagementResponse> {
    let req = request.get_ref();
    let kind = match pb::EngagementKind::try_from(req.kind) {
        Ok(pb::EngagementKind::Read) => Kind::Read,
        Ok(pb::EngagementKind::Click) => Kind::Click,
        Ok(pb::EngagementKind::Share) => Kind::Share,
        _ => return Err(AppError::invalid("kind", "READ, CLICK or SHARE").into()),
    };
    let client_event_id = id("client_event_id", &req.client_event_id)?.to_string();
    let content_id = opt_id("content_id", &req.content_id)?;
    if kind == Kind::Read && content_id.is_none() {
        return Err(AppError::invalid("content_id", "required for a READ").into());
    }
    let a = req.attribution.clone().unwrap_or_default();
    let engagement = Engagement {
        kind,
        content_id,
        share_link_id: opt_id("share_link_id", &req.share_link_id)?,
        sources: Sources {
            content_id: String::new(),
            guide_id: text("attribution.guide_id", &a.guide_id, 64)?,
            store_id: id_text("attribution.store_id", &a.store_id)?,
            campaign_id: id_text("attribution.campaign_id", &a.campaign_id)?,
            product_id: String::new(),
        },
        viewer: viewer(user(&request)?, &req.device_id, "device_id", true)?,
        client_event_id,
        target: text("target", &req.target, 128)?,
    };
    let tenant = tenant(h, &request, &req.app_id).await?;
    let app = h.app.clone();
    let counted = h
        .mutations
        .dedupe(&request, &tenant.to_string(), async move {
            let txn = siyu_store::db::begin_write(&app.db)
                .await
                .map_err(AppError::from)?;
            let counted = app.record_engagement(&txn, tenant, engagement).await?;
            txn.commit().await.map_err(AppError::from)?;
            Ok::<_, Status>(counted)
        })
        .await?;
    Ok(Response::new(pb::RecordEngagementResponse { counted }))
}

fn row(r: &FunnelRow) -> pb::FunnelRow {
    pb::FunnelRow {
        key: r.key.clone(),
        label: r.label.clone(),
        reads: r.reads,
        unique_readers: r.unique_readers,
        clicks: r.clicks,
        unique_clickers: r.unique_clickers,
        shares: r.shares,
        orders: r.orders,
        buyers: r.buyers,
        gmv: Some(common::Money {
            minor_units: r.gmv_minor,
            currency_code: if r.currency.is_empty() {
                "CNY".into()
            } else {
                r.currency.clone()
            },
        }),
        new_users: 0,
    }
}

/// A list of ids filtering the report (each a UUID, except guides' staff ids).
fn ids(field: &str, values: &[String], uuids: bool) -> Result<Vec<String>, AppError> {
    if values.len() > 100 {
        return Err(AppError::invalid(field, "at most 100"));
    }
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let f = format!("{field}[{i}]");
            if uuids {
                id(&f, v).map(|u| u.to_string())
            } else if v.is_empty() {
                Err(AppError::invalid(f, "required"))
            } else {
                text(&f, v, 64)
            }
        })
        .collect()
}

#[tracing::instrument(skip_all)]
pub(super) async fn funnel(
    h: &Handlers,
    request: Request<pb::GetFunnelReportRequest>,
) -> R<pb::GetFunnelReportResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    // Unset: per content item, the funnel's first question.
    let dimension = match pb::FunnelDimension::try_from(req.dimension) {
        Ok(pb::FunnelDimension::Content | pb::FunnelDimension::Unspecified) => Dimension::Content,
        Ok(pb::FunnelDimension::Guide) => Dimension::Guide,
        Ok(pb::FunnelDimension::Store) => Dimension::Store,
        Ok(pb::FunnelDimension::ShareLink) => Dimension::ShareLink,
        Ok(pb::FunnelDimension::Campaign) => Dimension::Campaign,
        Ok(pb::FunnelDimension::Day) => Dimension::Day,
        Err(_) => {
            return Err(AppError::invalid(
                "dimension",
                "CONTENT, GUIDE, STORE, SHARE_LINK, CAMPAIGN or DAY",
            )
            .into());
        }
    };
    let end_ms = req.end_time.as_ref().map_or_else(|| h.app.now_ms(), ms);
    let start_ms = req
        .start_time
        .as_ref()
        .map_or(end_ms - DEFAULT_RANGE_MS, ms);
    if end_ms <= start_ms {
        return Err(AppError::invalid("end_time", "must be after start_time").into());
    }
    if end_ms - start_ms > MAX_RANGE_MS {
        return Err(AppError::invalid("end_time", "at most 366 days after start_time").into());
    }
    let query = FunnelQuery {
        dimension,
        start_ms,
        end_ms,
        content_ids: ids("content_ids", &req.content_ids, true)?,
        guide_ids: ids("guide_ids", &req.guide_ids, false)?,
        store_ids: ids("store_ids", &req.store_ids, true)?,
        campaign_ids: ids("campaign_ids", &req.campaign_ids, true)?,
    };
    let (rows, total) = h.app.funnel(&ctx, query).await?;
    let (rows, page) = FUNNEL
        .slice(rows, req.page.as_ref())
        .map_err(AppError::from)?;
    Ok(Response::new(pb::GetFunnelReportResponse {
        rows: rows.iter().map(row).collect(),
        total: Some(row(&total)),
        page: Some(page),
    }))
}
