//! The consumer reads on the wire: GetPage, GetPublishedContent and ListPublishedContents.
//! Guests are admitted by the contract; their tenant is the one of the app they name
//! (`x-siyu-app-id`, which the gateway sets from the `appId` the request carries).

use siyu_core::TenantId;
use siyu_proto::content::v1 as pb;
use siyu_server::{Caller, Paging};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::convert;
use super::{Handlers, R, id, opt_id, page_of};
use crate::AppError;
use crate::app::contents::model::Kind;
use crate::app::pages::PublishedFilter;

/// The consumer list: 20 by default, at most 100.
const PUBLISHED: Paging = Paging::new("published_contents", 20, 100);

/// The tenant of a consumer read: the token's, the guest's app (`x-siyu-app-id`), or else the
/// app the request names in `app_id`.
async fn tenant<T>(h: &Handlers, request: &Request<T>, app_id: &str) -> Result<TenantId, Status> {
    let caller = Caller::of(request)?;
    match (caller.tenant(), &h.guests) {
        (Some(tenant), _) => Ok(tenant),
        (None, Some(guests)) if !app_id.is_empty() => guests.tenant_of(app_id).await,
        (None, _) => caller.require_tenant(),
    }
}

#[tracing::instrument(skip_all)]
pub(super) async fn get_page(
    h: &Handlers,
    request: Request<pb::GetPageRequest>,
) -> R<pb::GetPageResponse> {
    let req = request.get_ref();
    let tenant = tenant(h, &request, &req.app_id).await?;
    if !convert::is_key(&req.page, 32) || req.page.contains('.') {
        return Err(AppError::invalid("page", "1 to 32 of a-z, 0-9, '_', '-'").into());
    }
    let store = opt_id("store_id", &req.store_id)?;
    let slots = h.app.get_page(tenant, &req.page, store).await?;
    Ok(Response::new(pb::GetPageResponse {
        slots: slots
            .iter()
            .map(|(slot, items)| pb::RenderedSlot {
                code: slot.spec.code.clone(),
                layout: convert::slot(slot).layout,
                items: items.iter().map(|i| convert::published(i, false)).collect(),
            })
            .collect(),
    }))
}

#[tracing::instrument(skip_all)]
pub(super) async fn get_published(
    h: &Handlers,
    request: Request<pb::GetPublishedContentRequest>,
) -> R<pb::GetPublishedContentResponse> {
    let req = request.get_ref();
    let tenant = tenant(h, &request, &req.app_id).await?;
    let content_id = id("content_id", &req.content_id)?;
    let store = opt_id("store_id", &req.store_id)?;
    let item = h.app.get_published(tenant, content_id, store).await?;
    Ok(Response::new(pb::GetPublishedContentResponse {
        content: Some(convert::published(&item, true)),
    }))
}

#[tracing::instrument(skip_all)]
pub(super) async fn list_published(
    h: &Handlers,
    request: Request<pb::ListPublishedContentsRequest>,
) -> R<pb::ListPublishedContentsResponse> {
    let req = request.get_ref();
    let tenant = tenant(h, &request, &req.app_id).await?;
    if req.tag.chars().count() > 16 {
        return Err(AppError::invalid("tag", "at most 16 characters").into());
    }
    let filter = PublishedFilter {
        kind: convert::kind_filter(req.kind)?.unwrap_or(Kind::Article),
        tag: Some(req.tag.trim().to_owned()).filter(|t| !t.is_empty()),
        product_id: opt_id("product_id", &req.product_id)?,
        store_id: opt_id("store_id", &req.store_id)?,
    };
    let page = page_of::<(i64, Uuid)>(&PUBLISHED, req.page.as_ref())?;
    let rows = h.app.list_published(tenant, &filter, &page).await?;
    let (rows, page) = PUBLISHED.finish(rows, &page, |i| (i.published_at_ms, i.id));
    Ok(Response::new(pb::ListPublishedContentsResponse {
        contents: rows.iter().map(|i| convert::published(i, false)).collect(),
        page: Some(page),
    }))
}
