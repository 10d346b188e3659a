//! Tracked share links and scene codes (场景码): what a launch opens and whom it attributes to
//! (content, guide, store, campaign, product, sharer). A creator sharing the same thing again
//! gets the same link (unique on creator, source fields and page); a disabled or expired link
//! stops resolving, its history stays. Engagements and the funnel are in [`engagements`] and
//! [`funnel`].

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, PrincipalKind, TenantId};
use uuid::Uuid;

use super::App;
use super::org_scope::{self, Scope};
use crate::AppError;
use crate::repo;

pub mod engagements;
pub mod funnel;
pub mod scene_code;

/// What a share link mainly promotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// A content item.
    Content,
    /// A guide's personal link or code.
    Guide,
    /// A store's code.
    Store,
    /// A campaign.
    Campaign,
    /// A product page.
    Product,
}

impl SourceKind {
    /// The stored (and contract) number.
    pub fn number(self) -> i16 {
        match self {
            Self::Content => 1,
            Self::Guide => 2,
            Self::Store => 3,
            Self::Campaign => 4,
            Self::Product => 5,
        }
    }
}

impl TryFrom<i16> for SourceKind {
    type Error = String;
    fn try_from(n: i16) -> Result<Self, String> {
        match n {
            1 => Ok(Self::Content),
            2 => Ok(Self::Guide),
            3 => Ok(Self::Store),
            4 => Ok(Self::Campaign),
            5 => Ok(Self::Product),
            other => Err(format!("share source kind {other}")),
        }
    }
}

/// Whom a link (or a visit, or an order) is attributed to; '' = none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sources {
    /// The content item.
    pub content_id: String,
    /// The guide (staff id).
    pub guide_id: String,
    /// The store (org unit id).
    pub store_id: String,
    /// The campaign.
    pub campaign_id: String,
    /// The product.
    pub product_id: String,
}

/// Everything a new link says (what CreateShareLink decodes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkSpec {
    /// The main source kind; None: derived from the fields set.
    pub kind: Option<SourceKind>,
    /// The sources.
    pub sources: Sources,
    /// The channel number (`siyu.common.v1.Channel`).
    pub channel: i32,
    /// The mini-program page to open.
    pub page_path: String,
    /// Its query (without '?').
    pub page_query: String,
    /// A label for reports.
    pub label: String,
    /// When it stops resolving.
    pub expire_ms: Option<i64>,
    /// The link a consumer arrived by (its guide, store and campaign are inherited).
    pub parent: Option<Uuid>,
}

/// A stored share link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareLink {
    /// The id.
    pub id: Uuid,
    /// The scene code.
    pub scene_code: String,
    /// The main source kind.
    pub kind: SourceKind,
    /// The sources.
    pub sources: Sources,
    /// The consumer who shared it ('' when staff or a service created it).
    pub sharer_user_id: String,
    /// The channel number.
    pub channel: i32,
    /// The page to open.
    pub page_path: String,
    /// Its query.
    pub page_query: String,
    /// The label.
    pub label: String,
    /// When it stops resolving.
    pub expire_ms: Option<i64>,
    /// Disabled by staff.
    pub disabled: bool,
    /// "staff:<id>", "user:<id>" or "service:<name>".
    pub created_by: String,
    /// Creation time.
    pub created_at_ms: i64,
}

/// Filters of ListShareLinks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkFilter {
    /// Only this source kind.
    pub kind: Option<SourceKind>,
    /// Only links of these (non-empty) sources.
    pub sources: Sources,
    /// Only links of these stores (a store manager's scope).
    pub stores_in: Option<Vec<String>>,
}

/// Who created something: "staff:<id>", "user:<id>" or "service:<name>".
pub fn actor(ctx: &Ctx) -> String {
    let kind = match ctx.principal.kind {
        PrincipalKind::Staff => "staff",
        PrincipalKind::Consumer => "user",
        PrincipalKind::Partner => "partner",
        PrincipalKind::Service => "service",
    };
    format!("{kind}:{}", ctx.principal.subject)
}

/// True for staff admitted only as a guide: they act on their own links and numbers.
pub fn is_guide_only(ctx: &Ctx) -> bool {
    ctx.principal.kind == PrincipalKind::Staff
        && !ctx.principal.grants.is_empty()
        && ctx.principal.grants.iter().all(|g| g.role == "guide")
}

/// The store a guide works at (the unit of their first guide grant).
fn guide_store(ctx: &Ctx) -> Option<Uuid> {
    ctx.principal
        .grants
        .iter()
        .find(|g| g.role == "guide")
        .and_then(|g| g.org.unit())
}

/// The kind of a spec: the one given, else the first source set.
fn kind_of(spec: &LinkSpec) -> Result<SourceKind, AppError> {
    let s = &spec.sources;
    let required = |field: &str, value: &str| {
        if value.is_empty() {
            Err(AppError::SourceRequired {
                field: field.to_owned(),
            })
        } else {
            Ok(())
        }
    };
    match spec.kind {
        Some(SourceKind::Content) => required("content_id", &s.content_id)?,
        Some(SourceKind::Guide) => required("guide_id", &s.guide_id)?,
        Some(SourceKind::Store) => required("store_id", &s.store_id)?,
        Some(SourceKind::Campaign) => required("campaign_id", &s.campaign_id)?,
        Some(SourceKind::Product) => required("product_id", &s.product_id)?,
        None => {}
    }
    if let Some(kind) = spec.kind {
        return Ok(kind);
    }
    [
        (SourceKind::Content, &s.content_id),
        (SourceKind::Product, &s.product_id),
        (SourceKind::Campaign, &s.campaign_id),
        (SourceKind::Guide, &s.guide_id),
        (SourceKind::Store, &s.store_id),
    ]
    .into_iter()
    .find(|(_, v)| !v.is_empty())
    .map(|(k, _)| k)
    .ok_or(AppError::SourceRequired {
        field: "source_kind".to_owned(),
    })
}

impl App {
    /// Creates a share link, or answers the creator's existing one for the same sources and
    /// page. Concurrent creations of the same link meet on the unique key and answer one row.
    pub async fn create_share_link(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        mut spec: LinkSpec,
    ) -> Result<ShareLink, AppError> {
        let mut sharer = String::new();
        match ctx.principal.kind {
            PrincipalKind::Consumer => {
                sharer.clone_from(&ctx.principal.subject);
                // A consumer's link chains the guide, store and campaign they arrived by.
                if let Some(parent) = spec.parent {
                    let p = repo::shares::get(conn, ctx.tenant, parent)
                        .await?
                        .ok_or(AppError::ShareLinkNotFound)?;
                    spec.sources.guide_id = p.sources.guide_id;
                    spec.sources.store_id = p.sources.store_id;
                    if spec.sources.campaign_id.is_empty() {
                        spec.sources.campaign_id = p.sources.campaign_id;
                    }
                } else {
                    spec.sources.guide_id.clear();
                }
            }
            PrincipalKind::Staff if is_guide_only(ctx) => {
                let me = &ctx.principal.subject;
                if !spec.sources.guide_id.is_empty() && spec.sources.guide_id != *me {
                    return Err(AppError::PermissionDenied);
                }
                spec.sources.guide_id.clone_from(me);
                if let Some(store) = guide_store(ctx).filter(|_| spec.sources.store_id.is_empty()) {
                    spec.sources.store_id = store.to_string();
                }
            }
            _ => {}
        }
        if let Scope::Units(units) = org_scope::scope(ctx) {
            let ok = spec.sources.store_id.is_empty()
                || units.iter().any(|u| u.to_string() == spec.sources.store_id);
            if !ok && !is_guide_only(ctx) {
                return Err(AppError::invalid(
                    "store_id",
                    "must be a store within the caller's scope",
                ));
            }
        }
        let kind = kind_of(&spec)?;
        if let Ok(content) = Uuid::parse_str(&spec.sources.content_id) {
            repo::contents::get(conn, ctx.tenant, content, false)
                .await?
                .ok_or_else(AppError::content_not_found)?;
        }
        let created_by = actor(ctx);
        let s = &spec.sources;
        let dedupe_key = [
            created_by.as_str(),
            &kind.number().to_string(),
            &s.content_id,
            &s.guide_id,
            &s.store_id,
            &s.campaign_id,
            &s.product_id,
            &spec.page_path,
            &spec.page_query,
        ]
        .join("\u{1f}");
        if let Some(found) = repo::shares::by_dedupe_key(conn, ctx.tenant, &dedupe_key).await? {
            return Ok(found);
        }
        let link = ShareLink {
            id: siyu_core::id::new(),
            scene_code: scene_code::generate(),
            kind,
            sources: spec.sources,
            sharer_user_id: sharer,
            channel: spec.channel,
            page_path: spec.page_path,
            page_query: spec.page_query,
            label: spec.label,
            expire_ms: spec.expire_ms,
            disabled: false,
            created_by,
            created_at_ms: self.now_ms(),
        };
        if repo::shares::insert(conn, ctx.tenant, &link, &dedupe_key).await? {
            return Ok(link);
        }
        // Another call created it first (or, at 2^-50, the code was taken): answer that row.
        repo::shares::by_dedupe_key(conn, ctx.tenant, &dedupe_key)
            .await?
            .ok_or_else(|| AppError::Internal("scene code collision".into()))
    }

    /// A link the caller may see: consumers their own, staff and services any of the tenant.
    pub async fn get_share_link(&self, ctx: &Ctx, id: Uuid) -> Result<ShareLink, AppError> {
        let link = repo::shares::get(&self.db, ctx.tenant, id)
            .await?
            .ok_or(AppError::ShareLinkNotFound)?;
        if ctx.principal.kind == PrincipalKind::Consumer && link.created_by != actor(ctx) {
            return Err(AppError::ShareLinkNotFound);
        }
        Ok(link)
    }

    /// A page of links, newest first, after `(created_at_ms, id)`. Guides see their own
    /// links, store managers the links of their stores.
    pub async fn list_share_links(
        &self,
        ctx: &Ctx,
        mut filter: LinkFilter,
        after: Option<(i64, Uuid)>,
        n: u64,
    ) -> Result<Vec<ShareLink>, AppError> {
        if is_guide_only(ctx) {
            filter.sources.guide_id.clone_from(&ctx.principal.subject);
        } else if let Scope::Units(units) = org_scope::scope(ctx) {
            filter.stores_in = Some(units.iter().map(ToString::to_string).collect());
        }
        repo::shares::list(&self.db, ctx.tenant, &filter, after, n).await
    }

    /// Disables a link (idempotent). Outside the caller's links or stores it is not found.
    pub async fn disable_share_link(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
    ) -> Result<ShareLink, AppError> {
        let mut link = repo::shares::get(conn, ctx.tenant, id)
            .await?
            .ok_or(AppError::ShareLinkNotFound)?;
        let visible = if is_guide_only(ctx) {
            link.sources.guide_id == ctx.principal.subject
        } else {
            match org_scope::scope(ctx) {
                Scope::All => true,
                Scope::Units(units) => units.iter().any(|u| u.to_string() == link.sources.store_id),
            }
        };
        if !visible {
            return Err(AppError::ShareLinkNotFound);
        }
        if !link.disabled {
            repo::shares::disable(conn, ctx.tenant, id).await?;
            link.disabled = true;
        }
        Ok(link)
    }

    /// The live link of a scene code: unknown or disabled is SCENE_CODE_NOT_FOUND, past its
    /// expiry SCENE_CODE_EXPIRED.
    pub async fn live_link(
        &self,
        conn: &impl ConnectionTrait,
        tenant: TenantId,
        code: &str,
    ) -> Result<ShareLink, AppError> {
        let link = repo::shares::by_scene_code(conn, tenant, code)
            .await?
            .filter(|l| !l.disabled)
            .ok_or(AppError::SceneCodeNotFound)?;
        if link.expire_ms.is_some_and(|e| e <= self.now_ms()) {
            return Err(AppError::SceneCodeExpired);
        }
        Ok(link)
    }
}
