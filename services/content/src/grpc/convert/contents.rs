//! Content items, versions and live items on the wire.

use siyu_proto::content::v1 as pb;

use super::{Check, audience, ts, wire_audience};
use crate::AppError;
use crate::app::contents::markdown::{self, Refusal};
use crate::app::contents::model::{
    Article, Banner, Body, Content, Kind, Link, Snapshot, Status, Version,
};
use crate::app::pages::LiveItem;

fn kind_of(n: i32, c: &mut Check, field: &str) -> Option<Kind> {
    match pb::ContentKind::try_from(n) {
        Ok(pb::ContentKind::Article) => Some(Kind::Article),
        Ok(pb::ContentKind::Banner) => Some(Kind::Banner),
        _ => {
            c.bad(field, "must be ARTICLE or BANNER");
            None
        }
    }
}

/// A wire kind filter (unspecified: none).
pub fn kind_filter(n: i32) -> Result<Option<Kind>, AppError> {
    match pb::ContentKind::try_from(n) {
        Ok(pb::ContentKind::Unspecified) => Ok(None),
        Ok(pb::ContentKind::Article) => Ok(Some(Kind::Article)),
        Ok(pb::ContentKind::Banner) => Ok(Some(Kind::Banner)),
        Err(_) => Err(AppError::invalid("kind", "unknown kind")),
    }
}

/// A wire status filter value.
pub fn status_of(n: i32, field: &str) -> Result<Status, AppError> {
    match pb::ContentStatus::try_from(n) {
        Ok(pb::ContentStatus::Draft) => Ok(Status::Draft),
        Ok(pb::ContentStatus::Scheduled) => Ok(Status::Scheduled),
        Ok(pb::ContentStatus::Published) => Ok(Status::Published),
        Ok(pb::ContentStatus::Archived) => Ok(Status::Archived),
        _ => Err(AppError::invalid(field, "unknown status")),
    }
}

fn tags(c: &mut Check, values: &[String]) -> Vec<String> {
    if values.len() > 20 {
        c.bad("content.tags", "at most 20");
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for (i, t) in values.iter().enumerate() {
        let t = t.trim();
        let n = t.chars().count();
        if n == 0 || n > 16 {
            c.bad(format!("content.tags[{i}]"), "1 to 16 characters");
        } else if t.contains('|') {
            c.bad(format!("content.tags[{i}]"), "must not contain '|'");
        } else if !out.iter().any(|o| o == t) {
            out.push(t.to_owned());
        }
    }
    out
}

fn link(c: &mut Check, l: Option<&pb::LinkTarget>) -> Option<Link> {
    use pb::link_target::Target;
    let field = "content.banner.link";
    match l?.target.as_ref()? {
        Target::ContentId(id) => c
            .opt_id(&format!("{field}.content_id"), id)
            .map(Link::Content),
        Target::ProductId(id) => c
            .opt_id(&format!("{field}.product_id"), id)
            .map(Link::Product),
        Target::PagePath(p) => {
            if p.is_empty() || p.chars().count() > 256 || p.contains(':') {
                c.bad(
                    format!("{field}.page_path"),
                    "a mini-program path, 1 to 256 characters",
                );
            }
            Some(Link::PagePath(p.clone()))
        }
        Target::Url(u) => Some(Link::Url(c.https(&format!("{field}.url"), u, true))),
    }
}

/// The body of a wire item, checked against `kind`.
fn body(c: &mut Check, kind: Kind, item: &pb::ContentItem) -> Result<Option<Body>, AppError> {
    use pb::content_item::Body as B;
    let body = match (&item.body, kind) {
        (None, _) => {
            c.bad("content.body", "required");
            return Ok(None);
        }
        (Some(B::Article(a)), Kind::Article) => Body::Article(Article {
            title: c.text("content.article.title", &a.title, 1, 64),
            summary: c.text("content.article.summary", &a.summary, 0, 120),
            body_markdown: a.body_markdown.clone(),
            cover_image_url: c.https("content.article.cover_image_url", &a.cover_image_url, false),
            author_name: c.text("content.article.author_name", &a.author_name, 0, 32),
        }),
        (Some(B::Banner(b)), Kind::Banner) => Body::Banner(Banner {
            title: c.text("content.banner.title", &b.title, 1, 64),
            image_url: c.https("content.banner.image_url", &b.image_url, true),
            link: link(c, b.link.as_ref()),
        }),
        (Some(B::Article(_)), Kind::Banner) => {
            return Err(AppError::BodyKindMismatch {
                field: "content.article".into(),
            });
        }
        (Some(B::Banner(_)), Kind::Article) => {
            return Err(AppError::BodyKindMismatch {
                field: "content.banner".into(),
            });
        }
    };
    Ok(Some(body))
}

/// The markdown check of an article body, with its own reasons.
pub fn check_markdown(body: &Body) -> Result<(), AppError> {
    let Body::Article(a) = body else {
        return Ok(());
    };
    let field = "content.article.body_markdown";
    markdown::check(&a.body_markdown).map_err(|r| match r {
        Refusal::TooLarge => AppError::ContentTooLarge {
            field: field.into(),
            max: markdown::MAX_CHARS,
        },
        Refusal::Rejected(why) => AppError::ContentRejected {
            field: field.into(),
            why,
        },
    })
}

/// A wire item as a snapshot, with its kind (`kind` overrides the item's, for updates).
pub fn snapshot(item: &pb::ContentItem, kind: Option<Kind>) -> Result<Snapshot, AppError> {
    let mut c = Check::default();
    let kind = match kind {
        Some(k) => Some(k),
        None => kind_of(item.kind, &mut c, "content.kind"),
    };
    let body = match kind {
        Some(kind) => body(&mut c, kind, item)?,
        None => None,
    };
    let tags = tags(&mut c, &item.tags);
    let product_ids = c.ids("content.product_ids", &item.product_ids, 50);
    let audience = audience(&mut c, "content.audience", item.audience.as_ref());
    c.done()?;
    let body = body.ok_or_else(|| AppError::invalid("content.body", "required"))?;
    check_markdown(&body)?;
    Ok(Snapshot {
        body,
        tags,
        product_ids,
        audience,
    })
}

fn status(s: Status) -> pb::ContentStatus {
    match s {
        Status::Draft => pb::ContentStatus::Draft,
        Status::Scheduled => pb::ContentStatus::Scheduled,
        Status::Published => pb::ContentStatus::Published,
        Status::Archived => pb::ContentStatus::Archived,
    }
}

fn kind(k: Kind) -> pb::ContentKind {
    match k {
        Kind::Article => pb::ContentKind::Article,
        Kind::Banner => pb::ContentKind::Banner,
    }
}

fn wire_article(a: &Article, with_markdown: bool) -> pb::ArticleBody {
    pb::ArticleBody {
        title: a.title.clone(),
        summary: a.summary.clone(),
        body_markdown: if with_markdown {
            a.body_markdown.clone()
        } else {
            String::new()
        },
        cover_image_url: a.cover_image_url.clone(),
        author_name: a.author_name.clone(),
    }
}

fn wire_banner(b: &Banner) -> pb::BannerBody {
    use pb::link_target::Target;
    pb::BannerBody {
        title: b.title.clone(),
        image_url: b.image_url.clone(),
        link: b.link.as_ref().map(|l| pb::LinkTarget {
            target: Some(match l {
                Link::Content(id) => Target::ContentId(id.to_string()),
                Link::Product(id) => Target::ProductId(id.to_string()),
                Link::PagePath(p) => Target::PagePath(p.clone()),
                Link::Url(u) => Target::Url(u.clone()),
            }),
        }),
    }
}

/// An item for staff; `with_markdown` false in lists (pages stay small).
pub fn item(c: &Content, with_markdown: bool) -> pb::ContentItem {
    use pb::content_item::Body as B;
    pb::ContentItem {
        content_id: c.id.to_string(),
        kind: kind(c.kind).into(),
        status: status(c.status).into(),
        body: Some(match &c.latest.body {
            Body::Article(a) => B::Article(wire_article(a, with_markdown)),
            Body::Banner(b) => B::Banner(wire_banner(b)),
        }),
        tags: c.latest.tags.clone(),
        product_ids: c
            .latest
            .product_ids
            .iter()
            .map(ToString::to_string)
            .collect(),
        audience: Some(wire_audience(&c.latest.audience)),
        version: c.version,
        published_version: c.published_version,
        has_unpublished_changes: c.version > c.published_version,
        scheduled_publish_time: ts(c.scheduled_at_ms),
        first_publish_time: ts(c.first_published_at_ms),
        publish_time: ts(c.published_at_ms),
        expire_time: ts(c.expire_at_ms),
        owner_org_unit_id: c
            .owner_org_unit_id
            .map(|u| u.to_string())
            .unwrap_or_default(),
        created_by: c.created_by.clone(),
        updated_by: c.updated_by.clone(),
        create_time: ts(Some(c.created_at_ms)),
        update_time: ts(Some(c.updated_at_ms)),
        etag: c.row_version.to_string(),
    }
}

/// A version for staff.
pub fn version(v: &Version, published: bool) -> pb::ContentVersion {
    use pb::content_version::Body as B;
    pb::ContentVersion {
        content_id: v.content_id.to_string(),
        version: v.version,
        body: Some(match &v.snapshot.body {
            Body::Article(a) => B::Article(wire_article(a, true)),
            Body::Banner(b) => B::Banner(wire_banner(b)),
        }),
        tags: v.snapshot.tags.clone(),
        product_ids: v
            .snapshot
            .product_ids
            .iter()
            .map(ToString::to_string)
            .collect(),
        audience: Some(wire_audience(&v.snapshot.audience)),
        created_by: v.created_by.clone(),
        create_time: ts(Some(v.created_at_ms)),
        published,
        note: v.note.clone(),
    }
}

/// A live item for consumers; `with_markdown` false in lists.
pub fn published(i: &LiveItem, with_markdown: bool) -> pb::PublishedContent {
    use pb::published_content::Body as B;
    pb::PublishedContent {
        content_id: i.id.to_string(),
        kind: kind(i.kind).into(),
        body: Some(match &i.snapshot.body {
            Body::Article(a) => B::Article(wire_article(a, with_markdown)),
            Body::Banner(b) => B::Banner(wire_banner(b)),
        }),
        tags: i.snapshot.tags.clone(),
        product_ids: i
            .snapshot
            .product_ids
            .iter()
            .map(ToString::to_string)
            .collect(),
        publish_time: ts(Some(i.published_at_ms)),
        read_count: 0,
    }
}
