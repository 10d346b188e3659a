//! TagService on the wire: CreateTag, UpdateTag, DeleteTag, ListTags, TagMembers, UntagMembers.

use siyu_proto::membership::v1 as pb;
use siyu_proto::time::timestamp_ms;
use siyu_server::Paging;
use tonic::{Request, Response};
use uuid::Uuid;

use super::convert::{each_id, id, mask, opt_id};
use super::{Handlers, R, ctx, page_of};
use crate::AppError;
use crate::app::domain::MemberId;
use crate::app::tags::{Tag, TagFilter, TagId, TagKind};

const LIST: Paging = Paging::new("tags", 50, 200);

/// A tag name: 1..30 characters, not blank.
fn name(field: &str, value: &str) -> Result<String, AppError> {
    if value.trim().is_empty() {
        return Err(AppError::invalid(field, "required"));
    }
    if value.chars().count() > 30 {
        return Err(AppError::invalid(field, "at most 30 characters"));
    }
    Ok(value.to_owned())
}

/// A tag group: 0..30 characters.
fn group(field: &str, value: &str) -> Result<String, AppError> {
    if value.chars().count() > 30 {
        return Err(AppError::invalid(field, "at most 30 characters"));
    }
    Ok(value.to_owned())
}

fn required_tag(t: Option<&pb::Tag>) -> Result<&pb::Tag, AppError> {
    t.ok_or_else(|| AppError::invalid("tag", "required"))
}

impl From<&Tag> for pb::Tag {
    fn from(t: &Tag) -> Self {
        Self {
            tag_id: t.id.0.to_string(),
            name: t.name.clone(),
            group: t.group.clone(),
            kind: i32::from(t.kind.number()),
            code: t.code.clone().unwrap_or_default(),
            store_id: t.store_id.map(|s| s.to_string()).unwrap_or_default(),
            member_count: i32::try_from(t.member_count).unwrap_or(i32::MAX),
            created_at: Some(timestamp_ms(t.created_at_ms)),
        }
    }
}

/// Members (1..1000, distinct) and manual tags (1..20, distinct) of TagMembers / UntagMembers.
fn pairs(members: &[String], tags: &[String]) -> Result<(Vec<MemberId>, Vec<TagId>), AppError> {
    if members.is_empty() {
        return Err(AppError::invalid("member_ids", "1 to 1000 members"));
    }
    if tags.is_empty() {
        return Err(AppError::invalid("tag_ids", "1 to 20 tags"));
    }
    let m = distinct("member_ids", each_id("member_ids", members, 1000)?)?;
    let t = distinct("tag_ids", each_id("tag_ids", tags, 20)?)?;
    Ok((
        m.into_iter().map(MemberId).collect(),
        t.into_iter().map(TagId).collect(),
    ))
}

fn distinct(field: &str, ids: Vec<Uuid>) -> Result<Vec<Uuid>, AppError> {
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    if sorted.len() != ids.len() {
        return Err(AppError::invalid(field, "an id is listed twice"));
    }
    // Sorted: concurrent calls touch rows in one order.
    Ok(sorted)
}

#[tracing::instrument(skip_all)]
pub(super) async fn create(
    h: &Handlers,
    request: Request<pb::CreateTagRequest>,
) -> R<pb::CreateTagResponse> {
    let ctx = ctx(&request)?;
    let t = required_tag(request.get_ref().tag.as_ref())?;
    let tag = Tag {
        id: TagId(Uuid::nil()),
        name: name("tag.name", &t.name)?,
        group: group("tag.group", &t.group)?,
        kind: TagKind::Manual,
        code: None,
        store_id: opt_id("tag.store_id", &t.store_id)?,
        member_count: 0,
        created_at_ms: 0,
    };
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let tag = app.create_tag(txn, &ctx, tag).await?;
                Ok(pb::CreateTagResponse {
                    tag: Some((&tag).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all)]
pub(super) async fn update(
    h: &Handlers,
    request: Request<pb::UpdateTagRequest>,
) -> R<pb::UpdateTagResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let paths = mask(req.update_mask.as_ref())?;
    let t = required_tag(req.tag.as_ref())?;
    let tag_id = TagId(id("tag.tag_id", &t.tag_id)?);
    let (mut new_name, mut new_group) = (None, None);
    for p in &paths {
        match p.as_str() {
            "name" => new_name = Some(name("tag.name", &t.name)?),
            "group" => new_group = Some(group("tag.group", &t.group)?),
            other => return Err(AppError::UnknownFieldPath(other.to_owned()).into()),
        }
    }
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let tag = app
                    .update_tag(txn, &ctx, tag_id, new_name, new_group)
                    .await?;
                Ok(pb::UpdateTagResponse {
                    tag: Some((&tag).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(tag_id = %request.get_ref().tag_id))]
pub(super) async fn delete(
    h: &Handlers,
    request: Request<pb::DeleteTagRequest>,
) -> R<pb::DeleteTagResponse> {
    let ctx = ctx(&request)?;
    let tag_id = TagId(id("tag_id", &request.get_ref().tag_id)?);
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let n = app.delete_tag(txn, &ctx, tag_id).await?;
                Ok(pb::DeleteTagResponse {
                    removed_from_count: i32::try_from(n).unwrap_or(i32::MAX),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all)]
pub(super) async fn list(
    h: &Handlers,
    request: Request<pb::ListTagsRequest>,
) -> R<pb::ListTagsResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let kind = match req.kind {
        0 => None,
        n => {
            Some(TagKind::from_number(n).ok_or_else(|| AppError::invalid("kind", "unknown kind"))?)
        }
    };
    let filter = TagFilter {
        kind,
        group: (!req.group.is_empty())
            .then(|| group("group", &req.group))
            .transpose()?,
    };
    let page = page_of::<(String, String, Uuid)>(&LIST, req.page.as_ref())?;
    let rows = h
        .app
        .list_tags(&ctx, &filter, page.after.clone(), page.fetch_limit())
        .await?;
    let (rows, next) = LIST.finish(rows, &page, |t| (t.group.clone(), t.name.clone(), t.id.0));
    Ok(Response::new(pb::ListTagsResponse {
        tags: rows.iter().map(Into::into).collect(),
        page: Some(next),
    }))
}

#[tracing::instrument(skip_all)]
pub(super) async fn tag_members(
    h: &Handlers,
    request: Request<pb::TagMembersRequest>,
) -> R<pb::TagMembersResponse> {
    let ctx = ctx(&request)?;
    let (members, tags) = pairs(&request.get_ref().member_ids, &request.get_ref().tag_ids)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let n = app.tag_members(txn, &ctx, &members, &tags).await?;
                Ok(pb::TagMembersResponse {
                    added_count: i32::try_from(n).unwrap_or(i32::MAX),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all)]
pub(super) async fn untag_members(
    h: &Handlers,
    request: Request<pb::UntagMembersRequest>,
) -> R<pb::UntagMembersResponse> {
    let ctx = ctx(&request)?;
    let (members, tags) = pairs(&request.get_ref().member_ids, &request.get_ref().tag_ids)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let n = app.untag_members(txn, &ctx, &members, &tags).await?;
                Ok(pb::UntagMembersResponse {
                    removed_count: i32::try_from(n).unwrap_or(i32::MAX),
                })
            })
        })
        .await
}
