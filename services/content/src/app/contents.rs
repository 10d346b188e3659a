//! Content items: create, edit (every edit a new version), publish or schedule, unschedule,
//! archive, restore a version, and the staff reads. Writes run in the handler's transaction
//! on the item's locked row and save it only if its row version is still the one read.

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, PageRequest};
use uuid::Uuid;

use self::lifecycle::Published;
use self::model::{Content, NewContent, Snapshot, Status, Version};
use super::App;
use super::org_scope::{self, Scope};
use crate::AppError;
use crate::events::publish as events;
use crate::repo;

pub mod lifecycle;
pub mod markdown;
pub mod model;

/// Filters of the staff list.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only this kind.
    pub kind: Option<model::Kind>,
    /// Only these statuses (empty: all).
    pub statuses: Vec<Status>,
    /// Only items whose latest version has this tag.
    pub tag: Option<String>,
    /// Case-insensitive substring of the latest title.
    pub query: Option<String>,
    /// Only items linking this product.
    pub product_id: Option<Uuid>,
    /// Only items owned by this unit.
    pub owner_org_unit_id: Option<Uuid>,
    /// Only items owned by one of these units (the caller's scope).
    pub owners_in: Option<Vec<Uuid>>,
}

/// An edit of UpdateContent: the new snapshot and item fields, already merged by mask.
#[derive(Debug, Clone)]
pub struct Edit {
    /// The new version's snapshot.
    pub snapshot: Snapshot,
    /// The owning unit after the edit.
    pub owner_org_unit_id: Option<Uuid>,
    /// The expiry after the edit.
    pub expire_at_ms: Option<i64>,
    /// Change note.
    pub note: String,
}

fn by(ctx: &Ctx) -> String {
    ctx.principal.subject.clone()
}

impl App {
    /// Creates an item as DRAFT with version 1.
    pub async fn create_content(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        new: NewContent,
    ) -> Result<Content, AppError> {
        org_scope::require_owner(ctx, new.owner_org_unit_id)?;
        let now = self.now_ms();
        let content = Content {
            id: siyu_core::id::new(),
            kind: new.snapshot.body.kind(),
            status: Status::Draft,
            version: 1,
            published_version: 0,
            scheduled_version: None,
            scheduled_at_ms: None,
            first_published_at_ms: None,
            published_at_ms: None,
            expire_at_ms: new.expire_at_ms,
            owner_org_unit_id: new.owner_org_unit_id,
            created_by: by(ctx),
            updated_by: by(ctx),
            created_at_ms: now,
            updated_at_ms: now,
            row_version: 1,
            latest: new.snapshot.clone(),
            live: None,
        };
        repo::contents::insert(conn, ctx.tenant, &content).await?;
        repo::contents::insert_version(
            conn,
            ctx.tenant,
            &Version {
                content_id: content.id,
                version: 1,
                snapshot: new.snapshot,
                note: new.note,
                created_by: by(ctx),
                created_at_ms: now,
            },
        )
        .await?;
        Ok(content)
    }

    /// The item `id` locked for a change by `ctx`, checked against `etag` when given.
    async fn locked(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
        etag: Option<i64>,
    ) -> Result<Content, AppError> {
        let content = repo::contents::get(conn, ctx.tenant, id, true)
            .await?
            .ok_or_else(AppError::content_not_found)?;
        org_scope::require_on(ctx, content.owner_org_unit_id)?;
        if etag.is_some_and(|e| e != content.row_version) {
            return Err(AppError::ConcurrentModification);
        }
        Ok(content)
    }

    /// Saves `content` changed from row version `read` (bumping it).
    async fn save(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        mut content: Content,
        read: i64,
    ) -> Result<Content, AppError> {
        content.row_version = read + 1;
        content.updated_at_ms = self.now_ms();
        content.updated_by = by(ctx);
        if !repo::contents::save(conn, ctx.tenant, &content, read).await? {
            return Err(AppError::ConcurrentModification);
        }
        Ok(content)
    }

    /// Writes a new version of `content` holding `snapshot`.
    async fn add_version(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        content: &mut Content,
        snapshot: Snapshot,
        note: String,
    ) -> Result<(), AppError> {
        content.version += 1;
        content.latest = snapshot.clone();
        repo::contents::insert_version(
            conn,
            ctx.tenant,
            &Version {
                content_id: content.id,
                version: content.version,
                snapshot,
                note,
                created_by: by(ctx),
                created_at_ms: self.now_ms(),
            },
        )
        .await
    }

    /// Edits an item under `etag`: a new version; the live one stays live.
    pub async fn update_content(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
        etag: i64,
        edit: impl FnOnce(&Content) -> Result<Edit, AppError>,
    ) -> Result<Content, AppError> {
        let mut content = self.locked(conn, ctx, id, Some(etag)).await?;
        if content.status == Status::Archived {
            return Err(AppError::ContentArchived);
        }
        let edit = edit(&content)?;
        if edit.snapshot.body.kind() != content.kind {
            return Err(AppError::BodyKindMismatch {
                field: "content".into(),
            });
        }
        if edit.owner_org_unit_id != content.owner_org_unit_id {
            org_scope::require_owner(ctx, edit.owner_org_unit_id)?;
        }
        content.owner_org_unit_id = edit.owner_org_unit_id;
        content.expire_at_ms = edit.expire_at_ms;
        let read = content.row_version;
        self.add_version(conn, ctx, &mut content, edit.snapshot, edit.note)
            .await?;
        self.save(conn, ctx, content, read).await
    }

    /// Copies version `version` into a new version under `etag`.
    pub async fn restore_version(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
        version: i32,
        etag: i64,
    ) -> Result<Content, AppError> {
        let mut content = self.locked(conn, ctx, id, Some(etag)).await?;
        let old = repo::contents::version(conn, ctx.tenant, id, version)
            .await?
            .ok_or(AppError::ContentVersionNotFound { version })?;
        let read = content.row_version;
        self.add_version(
            conn,
            ctx,
            &mut content,
            old.snapshot,
            format!("restored from version {version}"),
        )
        .await?;
        self.save(conn, ctx, content, read).await
    }

    /// Publishes `version` (0: the latest) now, or schedules it for `at`.
    pub async fn publish_content(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
        version: i32,
        at: Option<i64>,
    ) -> Result<Content, AppError> {
        let mut content = self.locked(conn, ctx, id, None).await?;
        let version = if version == 0 {
            content.version
        } else {
            version
        };
        let snapshot = repo::contents::version(conn, ctx.tenant, id, version)
            .await?
            .ok_or(AppError::ContentVersionNotFound { version })?
            .snapshot;
        // Bodies are checked on every write; a version written before a stricter check is
        // refused here rather than shown.
        if let model::Body::Article(a) = &snapshot.body
            && let Err(markdown::Refusal::Rejected(why)) = markdown::check(&a.body_markdown)
        {
            return Err(AppError::ContentRejected {
                field: "content.article.body_markdown".into(),
                why,
            });
        }
        let now = self.now_ms();
        let read = content.row_version;
        match lifecycle::publish(&mut content, version, snapshot, at, now) {
            Published::Unchanged => Ok(content),
            Published::Scheduled => self.save(conn, ctx, content, read).await,
            Published::Live { first } => {
                let content = self.save(conn, ctx, content, read).await?;
                events::content_published(conn, ctx.tenant, &content, first, now).await?;
                Ok(content)
            }
        }
    }

    /// Cancels an item's schedule.
    pub async fn unschedule_content(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
    ) -> Result<Content, AppError> {
        let mut content = self.locked(conn, ctx, id, None).await?;
        let read = content.row_version;
        lifecycle::unschedule(&mut content)?;
        self.save(conn, ctx, content, read).await
    }

    /// Archives an item (archiving an archived item returns it unchanged).
    pub async fn archive_content(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
    ) -> Result<Content, AppError> {
        let mut content = self.locked(conn, ctx, id, None).await?;
        let read = content.row_version;
        if !lifecycle::archive(&mut content) {
            return Ok(content);
        }
        self.save(conn, ctx, content, read).await
    }

    /// One item for staff.
    pub async fn get_content(&self, ctx: &Ctx, id: Uuid) -> Result<Content, AppError> {
        let content = repo::contents::get(&self.db, ctx.tenant, id, false)
            .await?
            .ok_or_else(AppError::content_not_found)?;
        org_scope::require_on(ctx, content.owner_org_unit_id)?;
        Ok(content)
    }

    /// A page of items for staff, newest update first.
    pub async fn list_contents(
        &self,
        ctx: &Ctx,
        mut filter: ListFilter,
        page: &PageRequest<(i64, Uuid)>,
    ) -> Result<Vec<Content>, AppError> {
        if let Scope::Units(units) = org_scope::scope(ctx) {
            filter.owners_in = Some(units);
        }
        repo::contents::list(
            &self.db,
            ctx.tenant,
            &filter,
            page.after,
            page.fetch_limit(),
        )
        .await
    }

    /// A page of an item's versions, newest first, with the item's live version number.
    pub async fn list_versions(
        &self,
        ctx: &Ctx,
        id: Uuid,
        page: &PageRequest<i32>,
    ) -> Result<(i32, Vec<Version>), AppError> {
        let content = self.get_content(ctx, id).await?;
        let versions =
            repo::contents::versions(&self.db, ctx.tenant, id, page.after, page.fetch_limit())
                .await?;
        Ok((content.published_version, versions))
    }

    /// One version, with whether it is the live one.
    pub async fn get_version(
        &self,
        ctx: &Ctx,
        id: Uuid,
        version: i32,
    ) -> Result<(Version, bool), AppError> {
        // The contract names one reason for this read: an unknown item is an unknown version.
        let content = self.get_content(ctx, id).await.map_err(|e| match e {
            AppError::ContentNotFound { .. } => AppError::ContentVersionNotFound { version },
            other => other,
        })?;
        let v = repo::contents::version(&self.db, ctx.tenant, id, version)
            .await?
            .ok_or(AppError::ContentVersionNotFound { version })?;
        Ok((v, content.published_version == version))
    }
}
