//! Tags (标签): manual tags staff create and put on members, and the fixed system tags
//! membership keeps itself (RFM buckets, purchase stage).
//!
//! - **Truth and index.** Which member carries which tag is `mem_member_tags` (what segments
//!   query); `mem_members.tag_ids` (what member reads show) is kept equal in the same
//!   transaction, by set-based updates of the members concerned.
//! - **Tagging against deletion.** TagMembers and UntagMembers hold the tags' rows shared and
//!   DeleteTag holds its row exclusively, so no pair outlives its tag.
//! - **System tags** exist per tenant from the first time they are needed (ListTags, an order
//!   event): one insert-if-absent per code, so their ids are stable. Membership computes them
//!   from orders' events (`tags/purchases.rs`, `tags/retag.rs`) and a nightly pass
//!   (`tags/rfm_job.rs`).

use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde::{Deserialize, Serialize};
use siyu_core::{Ctx, PrincipalKind};
use uuid::Uuid;

use crate::app::domain::{MemberId, stored_enum};
use crate::app::{App, org_scope};
use crate::repo::members::Scope;
use crate::{AppError, repo};

pub mod purchases;
pub mod retag;
pub mod rfm_job;
pub mod system;

/// A tag of a tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TagId(pub Uuid);

stored_enum! {
    /// Manual or system (`siyu.membership.v1.TagKind`).
    TagKind {
        /// Created and applied by people or partners.
        Manual = 1,
        /// Computed by membership; read-only.
        System = 2,
    }
}

/// A tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// Id.
    pub id: TagId,
    /// Display name, 1..30 characters.
    pub name: String,
    /// Taxonomy group, 0..30 characters.
    pub group: String,
    /// Manual or system.
    pub kind: TagKind,
    /// A system tag's fixed code.
    pub code: Option<String>,
    /// A store-private tag's store.
    pub store_id: Option<Uuid>,
    /// Members carrying it (filled by lists).
    pub member_count: i64,
    /// Creation time.
    pub created_at_ms: i64,
}

/// What ListTags asks for.
#[derive(Debug, Clone, Default)]
pub struct TagFilter {
    /// Only this kind.
    pub kind: Option<TagKind>,
    /// Only this group.
    pub group: Option<String>,
}

/// The stores a caller may own store-private tags of: `None` for HQ (any store, or none).
fn own_stores(ctx: &Ctx) -> Result<Option<Vec<Uuid>>, AppError> {
    match org_scope::scope(ctx)? {
        Scope::All => Ok(None),
        Scope::Stores(s) => Ok(Some(s)),
        // A guide's tags belong to the store the guide role was granted on.
        Scope::Guide(_) => Ok(Some(
            ctx.principal
                .grants
                .iter()
                .filter(|g| g.role == "guide")
                .filter_map(|g| g.org.unit())
                .collect(),
        )),
    }
}

/// A tag the caller may change: manual, and of their stores when they are store staff.
async fn changeable(
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
    id: TagId,
    lock: bool,
) -> Result<Tag, AppError> {
    let tag = repo::tags::get(conn, ctx.tenant, id, lock)
        .await?
        .ok_or(AppError::TagNotFound)?;
    if tag.kind != TagKind::Manual {
        return Err(AppError::TagNotManual);
    }
    if let Some(stores) = own_stores(ctx)?
        && !tag.store_id.is_some_and(|s| stores.contains(&s))
    {
        return Err(AppError::TagNotFound);
    }
    Ok(tag)
}

impl App {
    /// CreateTag: a manual tag; store staff create store-private tags of their own store.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn create_tag(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        mut tag: Tag,
    ) -> Result<Tag, AppError> {
        if let Some(stores) = own_stores(ctx)? {
            match (tag.store_id, stores.as_slice()) {
                (Some(s), _) if stores.contains(&s) => {}
                (None, [only]) => tag.store_id = Some(*only),
                _ => {
                    return Err(AppError::OutOfScope(
                        "store staff create tags of their own store".into(),
                    ));
                }
            }
        }
        tag.id = TagId(siyu_core::id::new());
        tag.kind = TagKind::Manual;
        tag.code = None;
        tag.member_count = 0;
        tag.created_at_ms = self.now_ms();
        repo::tags::insert(conn, ctx.tenant, &tag).await?;
        Ok(tag)
    }

    /// UpdateTag: name and group of a manual tag.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, tag_id = %id.0))]
    pub async fn update_tag(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: TagId,
        name: Option<String>,
        group: Option<String>,
    ) -> Result<Tag, AppError> {
        let mut tag = changeable(conn, ctx, id, true).await?;
        if let Some(n) = name {
            tag.name = n;
        }
        if let Some(g) = group {
            tag.group = g;
        }
        repo::tags::update(conn, ctx.tenant, &tag, self.now_ms()).await?;
        tag.member_count = repo::tags::member_count(conn, ctx.tenant, tag.id).await?;
        Ok(tag)
    }

    /// DeleteTag: removes a manual tag from every member, unless a live segment names it.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, tag_id = %id.0))]
    pub async fn delete_tag(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: TagId,
    ) -> Result<i64, AppError> {
        let tag = changeable(conn, ctx, id, true).await?;
        if let Some(segment_id) = repo::segments::naming_tag(conn, ctx.tenant, tag.id).await? {
            return Err(AppError::TagInUse { segment_id });
        }
        let removed = repo::tags::delete(conn, ctx.tenant, tag.id).await?;
        Ok(removed)
    }

    /// ListTags: system tags (created on first need) and manual tags, by group then name,
    /// with member counts.
    pub async fn list_tags(
        &self,
        ctx: &Ctx,
        filter: &TagFilter,
        after: Option<(String, String, Uuid)>,
        limit: u64,
    ) -> Result<Vec<Tag>, AppError> {
        let db: &DatabaseConnection = &self.db;
        system::ensure(db, ctx.tenant, self.now_ms()).await?;
        let mut tags = repo::tags::list(db, ctx.tenant, filter, after, limit).await?;
        repo::tags::fill_counts(db, ctx.tenant, &mut tags).await?;
        Ok(tags)
    }

    /// TagMembers: puts manual tags on members; answers the pairs newly added.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, members = members.len()))]
    pub async fn tag_members(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        members: &[MemberId],
        tags: &[TagId],
    ) -> Result<i64, AppError> {
        self.pairs_allowed(conn, ctx, members, tags).await?;
        repo::tags::add_pairs(conn, ctx.tenant, members, tags, self.now_ms()).await
    }

    /// UntagMembers: takes manual tags off members; answers the pairs removed.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, members = members.len()))]
    pub async fn untag_members(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        members: &[MemberId],
        tags: &[TagId],
    ) -> Result<i64, AppError> {
        self.pairs_allowed(conn, ctx, members, tags).await?;
        repo::tags::remove_pairs(conn, ctx.tenant, members, tags).await
    }

    /// Holds the tags shared (they must be manual tags of the tenant) and checks the members:
    /// of the tenant, and within an org-scoped staff caller's reach (else MEMBER_NOT_FOUND).
    async fn pairs_allowed(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        members: &[MemberId],
        tags: &[TagId],
    ) -> Result<(), AppError> {
        let found = repo::tags::lock_shared(conn, ctx.tenant, tags).await?;
        for id in tags {
            let tag = found
                .iter()
                .find(|t| t.id == *id)
                .ok_or(AppError::TagNotFound)?;
            if tag.kind != TagKind::Manual {
                return Err(AppError::TagNotManual);
            }
        }
        let scoped =
            ctx.principal.kind == PrincipalKind::Staff && org_scope::scope(ctx)? != Scope::All;
        if scoped {
            for id in members {
                let m = repo::members::by_id(conn, ctx.tenant, *id, false)
                    .await?
                    .ok_or(AppError::MemberNotFound)?;
                org_scope::require_on(ctx, &m)?;
            }
        } else if repo::tags::known_members(conn, ctx.tenant, members).await?
            != i64::try_from(members.len()).unwrap_or(i64::MAX)
        {
            return Err(AppError::MemberNotFound);
        }
        Ok(())
    }
}
