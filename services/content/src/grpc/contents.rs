//! ContentService on the wire, for staff: create, update (by mask, under the etag), get, list,
//! publish or schedule, unschedule, archive, and the versions (list, get, restore).

use siyu_core::PrincipalKind;
use siyu_proto::content::v1 as pb;
use siyu_server::Paging;
use tonic::{Request, Response};
use uuid::Uuid;

use super::convert::{self, Check};
use super::{Handlers, R, ctx, etag, id, mask, opt_id, page_of, version};
use crate::AppError;
use crate::app::contents::model::{Content, NewContent, Status};
use crate::app::contents::{Edit, ListFilter};

/// The staff list: 20 by default, at most 200.
const CONTENTS: Paging = Paging::new("contents", 20, 200);
/// The versions list.
const VERSIONS: Paging = Paging::new("content_versions", 20, 200);

/// Mask paths UpdateContent knows (a message path covers its sub-paths).
const PATHS: [&str; 7] = [
    "article",
    "banner",
    "tags",
    "product_ids",
    "audience",
    "expire_time",
    "owner_org_unit_id",
];

/// A publish time further ahead than this is a mistake, not a plan.
const MAX_SCHEDULE_MS: i64 = 366 * 86_400_000;

/// An expiry, which must lie after `now`.
fn expiry(t: Option<&prost_types::Timestamp>, now: i64) -> Result<Option<i64>, AppError> {
    let at = convert::opt_millis(t);
    if at.is_some_and(|at| at <= now) {
        return Err(AppError::invalid(
            "content.expire_time",
            "must be in the future",
        ));
    }
    Ok(at)
}

fn reply(content: &Content) -> Option<pb::ContentItem> {
    Some(convert::item(content, true))
}

#[tracing::instrument(skip_all)]
pub(super) async fn create(
    h: &Handlers,
    request: Request<pb::CreateContentRequest>,
) -> R<pb::CreateContentResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let item = req
        .content
        .as_ref()
        .ok_or_else(|| AppError::invalid("content", "required"))?;
    let mut c = Check::default();
    let owner = c.opt_id("content.owner_org_unit_id", &item.owner_org_unit_id);
    let note = c.text("note", &req.note, 0, 200);
    c.done()?;
    let snapshot = convert::snapshot(item, None)?;
    let new = NewContent {
        snapshot,
        owner_org_unit_id: owner,
        expire_at_ms: expiry(item.expire_time.as_ref(), h.app.now_ms())?,
        note,
    };
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let content = app.create_content(txn, &ctx, new).await?;
                Ok(pb::CreateContentResponse {
                    content: reply(&content),
                })
            })
        })
        .await
}

/// Copies the field at `path` from `new` into `into` (both wire items).
fn apply(into: &mut pb::ContentItem, new: &pb::ContentItem, path: &str) {
    use pb::content_item::Body as B;
    match path {
        "article" | "banner" => into.body.clone_from(&new.body),
        "tags" => into.tags.clone_from(&new.tags),
        "product_ids" => into.product_ids.clone_from(&new.product_ids),
        "audience" => into.audience.clone_from(&new.audience),
        "expire_time" => into.expire_time = new.expire_time,
        "owner_org_unit_id" => into.owner_org_unit_id.clone_from(&new.owner_org_unit_id),
        sub => match (into.body.as_mut(), new.body.as_ref()) {
            (Some(B::Article(a)), Some(B::Article(n))) => match sub {
                "article.title" => a.title.clone_from(&n.title),
                "article.summary" => a.summary.clone_from(&n.summary),
                "article.body_markdown" => a.body_markdown.clone_from(&n.body_markdown),
                "article.cover_image_url" => a.cover_image_url.clone_from(&n.cover_image_url),
                "article.author_name" => a.author_name.clone_from(&n.author_name),
                _ => {}
            },
            (Some(B::Banner(b)), Some(B::Banner(n))) => match sub {
                "banner.title" => b.title.clone_from(&n.title),
                "banner.image_url" => b.image_url.clone_from(&n.image_url),
                "banner.link" => b.link.clone_from(&n.link),
                _ => {}
            },
            // A sub-path of the other kind's body: the new body goes in whole, so the kind check
            // refuses it.
            _ => into.body.clone_from(&new.body),
        },
    }
}

#[tracing::instrument(skip_all)]
pub(super) async fn update(
    h: &Handlers,
    request: Request<pb::UpdateContentRequest>,
) -> R<pb::UpdateContentResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let new = req
        .content
        .clone()
        .ok_or_else(|| AppError::invalid("content", "required"))?;
    let content_id = id("content.content_id", &new.content_id)?;
    let tag = etag("content.etag", &new.etag)?;
    let paths = mask(req.update_mask.as_ref(), &PATHS)?;
    let mut c = Check::default();
    let note = c.text("note", &req.note, 0, 200);
    c.done()?;
    let now = h.app.now_ms();
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let content = app
                    .update_content(txn, &ctx, content_id, tag, |current| {
                        let mut merged = convert::item(current, true);
                        for p in &paths {
                            apply(&mut merged, &new, p);
                        }
                        let mut c = Check::default();
                        let owner =
                            c.opt_id("content.owner_org_unit_id", &merged.owner_org_unit_id);
                        c.done()?;
                        let expire_at_ms = if paths.iter().any(|p| p == "expire_time") {
                            expiry(merged.expire_time.as_ref(), now)?
                        } else {
                            current.expire_at_ms
                        };
                        Ok(Edit {
                            snapshot: convert::snapshot(&merged, Some(current.kind))?,
                            owner_org_unit_id: owner,
                            expire_at_ms,
                            note,
                        })
                    })
                    .await?;
                Ok(pb::UpdateContentResponse {
                    content: reply(&content),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all)]
pub(super) async fn get(
    h: &Handlers,
    request: Request<pb::GetContentRequest>,
) -> R<pb::GetContentResponse> {
    let ctx = ctx(&request)?;
    let content_id = id("content_id", &request.get_ref().content_id)?;
    let content = h.app.get_content(&ctx, content_id).await?;
    Ok(Response::new(pb::GetContentResponse {
        content: reply(&content),
    }))
}

#[tracing::instrument(skip_all)]
pub(super) async fn list(
    h: &Handlers,
    request: Request<pb::ListContentsRequest>,
) -> R<pb::ListContentsResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let mut statuses = req
        .statuses
        .iter()
        .enumerate()
        .map(|(i, s)| convert::status_of(*s, &format!("statuses[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    // Partners read published items only.
    if ctx.principal.kind == PrincipalKind::Partner {
        statuses = vec![Status::Published];
    }
    if req.query.chars().count() > 100 {
        return Err(AppError::invalid("query", "at most 100 characters").into());
    }
    if req.tag.chars().count() > 16 {
        return Err(AppError::invalid("tag", "at most 16 characters").into());
    }
    let filter = ListFilter {
        kind: convert::kind_filter(req.kind)?,
        statuses,
        tag: Some(req.tag.trim().to_owned()).filter(|t| !t.is_empty()),
        query: Some(req.query.trim().to_owned()).filter(|q| !q.is_empty()),
        product_id: opt_id("product_id", &req.product_id)?,
        owner_org_unit_id: opt_id("owner_org_unit_id", &req.owner_org_unit_id)?,
        owners_in: None,
    };
    let page = page_of::<(i64, Uuid)>(&CONTENTS, req.page.as_ref())?;
    let rows = h.app.list_contents(&ctx, filter, &page).await?;
    let (rows, page) = CONTENTS.finish(rows, &page, |c| (c.updated_at_ms, c.id));
    Ok(Response::new(pb::ListContentsResponse {
        contents: rows.iter().map(|c| convert::item(c, false)).collect(),
        page: Some(page),
    }))
}

#[tracing::instrument(skip_all)]
pub(super) async fn publish(
    h: &Handlers,
    request: Request<pb::PublishContentRequest>,
) -> R<pb::PublishContentResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let content_id = id("content_id", &req.content_id)?;
    if req.version < 0 {
        return Err(AppError::invalid("version", "must be 0 (the latest) or more").into());
    }
    let v = req.version;
    let at = convert::opt_millis(req.publish_time.as_ref());
    if at.is_some_and(|at| at > h.app.now_ms() + MAX_SCHEDULE_MS) {
        return Err(AppError::invalid("publish_time", "at most 366 days ahead").into());
    }
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let content = app.publish_content(txn, &ctx, content_id, v, at).await?;
                Ok(pb::PublishContentResponse {
                    content: reply(&content),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all)]
pub(super) async fn unschedule(
    h: &Handlers,
    request: Request<pb::UnscheduleContentRequest>,
) -> R<pb::UnscheduleContentResponse> {
    let ctx = ctx(&request)?;
    let content_id = id("content_id", &request.get_ref().content_id)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let content = app.unschedule_content(txn, &ctx, content_id).await?;
                Ok(pb::UnscheduleContentResponse {
                    content: reply(&content),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all)]
pub(super) async fn archive(
    h: &Handlers,
    request: Request<pb::ArchiveContentRequest>,
) -> R<pb::ArchiveContentResponse> {
    let ctx = ctx(&request)?;
    let content_id = id("content_id", &request.get_ref().content_id)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let content = app.archive_content(txn, &ctx, content_id).await?;
                Ok(pb::ArchiveContentResponse {
                    content: reply(&content),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all)]
pub(super) async fn list_versions(
    h: &Handlers,
    request: Request<pb::ListContentVersionsRequest>,
) -> R<pb::ListContentVersionsResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let content_id = id("content_id", &req.content_id)?;
    let page = page_of::<i32>(&VERSIONS, req.page.as_ref())?;
    let (live, rows) = h.app.list_versions(&ctx, content_id, &page).await?;
    let (rows, page) = VERSIONS.finish(rows, &page, |v| v.version);
    Ok(Response::new(pb::ListContentVersionsResponse {
        versions: rows
            .iter()
            .map(|v| convert::version(v, v.version == live))
            .collect(),
        page: Some(page),
    }))
}

#[tracing::instrument(skip_all)]
pub(super) async fn get_version(
    h: &Handlers,
    request: Request<pb::GetContentVersionRequest>,
) -> R<pb::GetContentVersionResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let content_id = id("content_id", &req.content_id)?;
    let v = version("version", req.version)?;
    let (v, published) = h.app.get_version(&ctx, content_id, v).await?;
    Ok(Response::new(pb::GetContentVersionResponse {
        version: Some(convert::version(&v, published)),
    }))
}

#[tracing::instrument(skip_all)]
pub(super) async fn restore(
    h: &Handlers,
    request: Request<pb::RestoreContentVersionRequest>,
) -> R<pb::RestoreContentVersionResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let content_id = id("content_id", &req.content_id)?;
    let v = version("version", req.version)?;
    let tag = etag("etag", &req.etag)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let content = app.restore_version(txn, &ctx, content_id, v, tag).await?;
                Ok(pb::RestoreContentVersionResponse {
                    content: reply(&content),
                })
            })
        })
        .await
}
