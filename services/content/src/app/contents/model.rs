//! A content item and its versions as the domain sees them. A version's [`Snapshot`] is what an
//! edit changes and a restore copies; it is stored as JSON, so its shape is kept stable.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What an item is; immutable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// A markdown article.
    Article,
    /// An image with a link.
    Banner,
}

impl Kind {
    /// The stored (and contract) number.
    pub fn number(self) -> i16 {
        match self {
            Self::Article => 1,
            Self::Banner => 2,
        }
    }

    /// The event spelling.
    pub fn name(self) -> &'static str {
        match self {
            Self::Article => "article",
            Self::Banner => "banner",
        }
    }
}

impl TryFrom<i16> for Kind {
    type Error = String;
    fn try_from(n: i16) -> Result<Self, String> {
        match n {
            1 => Ok(Self::Article),
            2 => Ok(Self::Banner),
            other => Err(format!("content kind {other}")),
        }
    }
}

/// Where an item is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Never published, or unscheduled before its first publication.
    Draft,
    /// A version waits for its publish time (an earlier version may be live meanwhile).
    Scheduled,
    /// A version is live.
    Published,
    /// Hidden from consumers; may be republished.
    Archived,
}

impl Status {
    /// The stored (and contract) number.
    pub fn number(self) -> i16 {
        match self {
            Self::Draft => 1,
            Self::Scheduled => 2,
            Self::Published => 3,
            Self::Archived => 4,
        }
    }
}

impl TryFrom<i16> for Status {
    type Error = String;
    fn try_from(n: i16) -> Result<Self, String> {
        match n {
            1 => Ok(Self::Draft),
            2 => Ok(Self::Scheduled),
            3 => Ok(Self::Published),
            4 => Ok(Self::Archived),
            other => Err(format!("content status {other}")),
        }
    }
}

/// An article's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    /// 1..64 chars.
    pub title: String,
    /// 0..120 chars.
    pub summary: String,
    /// CommonMark without raw HTML or unsafe links (checked on every write).
    pub body_markdown: String,
    /// HTTPS URL or empty.
    pub cover_image_url: String,
    /// Display name of the author.
    pub author_name: String,
}

/// Where a banner leads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Link {
    /// Another content item.
    Content(Uuid),
    /// A product (SPU).
    Product(Uuid),
    /// A mini-program page path.
    PagePath(String),
    /// An HTTPS URL (web-view).
    Url(String),
}

/// A banner's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Banner {
    /// 1..64 chars.
    pub title: String,
    /// HTTPS URL.
    pub image_url: String,
    /// Where a tap leads, if anywhere.
    pub link: Option<Link>,
}

/// The body of one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Body {
    /// Kind ARTICLE.
    Article(Article),
    /// Kind BANNER.
    Banner(Banner),
}

impl Body {
    /// The kind this body belongs to.
    pub fn kind(&self) -> Kind {
        match self {
            Self::Article(_) => Kind::Article,
            Self::Banner(_) => Kind::Banner,
        }
    }

    /// The title, for lists and events.
    pub fn title(&self) -> &str {
        match self {
            Self::Article(a) => &a.title,
            Self::Banner(b) => &b.title,
        }
    }
}

/// Who sees an item or a placement; empty lists: no limit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audience {
    /// Stores (org units) whose consumers see it.
    pub org_unit_ids: Vec<Uuid>,
    /// Membership segments whose members see it.
    pub segment_ids: Vec<Uuid>,
}

impl Audience {
    /// Whether a consumer browsing `store` (with no known segments) sees it. Segment-limited
    /// audiences are not matched yet: that needs membership's segment check.
    pub fn admits(&self, store: Option<Uuid>) -> bool {
        self.segment_ids.is_empty()
            && (self.org_unit_ids.is_empty()
                || store.is_some_and(|s| self.org_unit_ids.contains(&s)))
    }
}

/// What one version holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The body.
    pub body: Body,
    /// Tags, 1..16 chars each, at most 20.
    pub tags: Vec<String>,
    /// Linked products (SPU ids).
    pub product_ids: Vec<Uuid>,
    /// Who sees it once published.
    pub audience: Audience,
}

/// A content item with its latest version's snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    /// The id.
    pub id: Uuid,
    /// The kind.
    pub kind: Kind,
    /// The status.
    pub status: Status,
    /// The latest version number.
    pub version: i32,
    /// The live version; 0 when never published.
    pub published_version: i32,
    /// The version waiting for `scheduled_at_ms`.
    pub scheduled_version: Option<i32>,
    /// When the scheduled version goes live.
    pub scheduled_at_ms: Option<i64>,
    /// First publication.
    pub first_published_at_ms: Option<i64>,
    /// Publication of the live version.
    pub published_at_ms: Option<i64>,
    /// End of visibility.
    pub expire_at_ms: Option<i64>,
    /// The owning org unit (None: the tenant's HQ).
    pub owner_org_unit_id: Option<Uuid>,
    /// Staff id of the creator.
    pub created_by: String,
    /// Staff id of the last editor.
    pub updated_by: String,
    /// Creation time.
    pub created_at_ms: i64,
    /// Last change.
    pub updated_at_ms: i64,
    /// The etag: bumped by every change.
    pub row_version: i64,
    /// The latest version's snapshot.
    pub latest: Snapshot,
    /// The live version's snapshot, if one is live or was (archived).
    pub live: Option<Snapshot>,
}

/// One stored version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// The item.
    pub content_id: Uuid,
    /// The number.
    pub version: i32,
    /// What it holds.
    pub snapshot: Snapshot,
    /// The change note.
    pub note: String,
    /// Staff id of the author.
    pub created_by: String,
    /// When written.
    pub created_at_ms: i64,
}

/// The input of CreateContent.
#[derive(Debug, Clone)]
pub struct NewContent {
    /// Version 1.
    pub snapshot: Snapshot,
    /// The owning org unit.
    pub owner_org_unit_id: Option<Uuid>,
    /// End of visibility.
    pub expire_at_ms: Option<i64>,
    /// Change note of version 1.
    pub note: String,
}
