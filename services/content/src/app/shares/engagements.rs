//! Engagements: reads, clicks and shares. A repeat of a client event counts nothing, and a
//! read counts once per viewer, item and day (Asia/Shanghai); both rules are unique indexes
//! the insert meets (`ON CONFLICT DO NOTHING`), so concurrent duplicates count once too.
//! A counted click on a link, and every resolved scene code, writes ShareLinkClicked.

use sea_orm::ConnectionTrait;
use siyu_core::TenantId;
use uuid::Uuid;

use super::{ShareLink, Sources};
use crate::AppError;
use crate::app::App;
use crate::events::publish;
use crate::repo;

/// The kind of an engagement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Read (the funnel's reads).
    Read,
    /// A link opened or a call to action tapped (the funnel's clicks).
    Click,
    /// Shared onward.
    Share,
}

impl Kind {
    /// The stored (and contract) number.
    pub fn number(self) -> i16 {
        match self {
            Self::Read => 1,
            Self::Click => 2,
            Self::Share => 3,
        }
    }
}

/// Who engaged: a logged-in user or, before login, a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Viewer {
    /// A consumer's user id.
    User(String),
    /// An anonymous device id.
    Device(String),
}

impl Viewer {
    /// How the viewer is stored and counted.
    pub fn key(&self) -> String {
        match self {
            Self::User(u) => format!("user:{u}"),
            Self::Device(d) => format!("device:{d}"),
        }
    }
}

/// One engagement to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Engagement {
    /// The kind.
    pub kind: Kind,
    /// The item engaged with, if any.
    pub content_id: Option<Uuid>,
    /// The link arrived by, if any.
    pub share_link_id: Option<Uuid>,
    /// Guide, store and campaign of the visit (the link's when the request names none).
    pub sources: Sources,
    /// Who.
    pub viewer: Viewer,
    /// The client's event id ('' for launches, which carry none).
    pub client_event_id: String,
    /// What was tapped.
    pub target: String,
}

/// A launch of a scene code: where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    /// Who launched.
    pub viewer: Viewer,
    /// The WeChat launch scene value.
    pub wechat_scene: i32,
    /// Whether to record the click.
    pub record_click: bool,
}

/// The Asia/Shanghai date of `ms` ("YYYY-MM-DD"): the day reads are counted in.
pub fn day_of(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms + 8 * 3_600_000)
        .map(|t| t.date_naive().format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

impl App {
    /// Records `e` in `tenant`; false when it was a duplicate and counted nothing.
    pub async fn record_engagement(
        &self,
        conn: &impl ConnectionTrait,
        tenant: TenantId,
        mut e: Engagement,
    ) -> Result<bool, AppError> {
        if let Some(content) = e.content_id {
            repo::contents::get(conn, tenant, content, false)
                .await?
                .ok_or_else(AppError::content_not_found)?;
        }
        let link = match e.share_link_id {
            Some(id) => Some(
                repo::shares::get(conn, tenant, id)
                    .await?
                    .ok_or(AppError::ShareLinkNotFound)?,
            ),
            None => None,
        };
        if let Some(link) = &link {
            let s = &mut e.sources;
            for (mine, its) in [
                (&mut s.guide_id, &link.sources.guide_id),
                (&mut s.store_id, &link.sources.store_id),
                (&mut s.campaign_id, &link.sources.campaign_id),
            ] {
                if mine.is_empty() {
                    mine.clone_from(its);
                }
            }
            if e.content_id.is_none() {
                e.content_id = Uuid::parse_str(&link.sources.content_id).ok();
            }
        }
        let now = self.now_ms();
        let counted =
            repo::shares::engagements::insert(conn, tenant, &e, now, &day_of(now)).await?;
        if let Some(link) = link.as_ref().filter(|_| counted && e.kind == Kind::Click) {
            publish::share_link_clicked(conn, tenant, link, &e.viewer, 0, now).await?;
        }
        Ok(counted)
    }

    /// Resolves a scene code: the live link, its click recorded (and ShareLinkClicked written)
    /// unless the launch asks not to.
    pub async fn resolve_scene_code(
        &self,
        conn: &impl ConnectionTrait,
        tenant: TenantId,
        code: &str,
        launch: Launch,
    ) -> Result<ShareLink, AppError> {
        let link = self.live_link(conn, tenant, code).await?;
        if launch.record_click {
            let now = self.now_ms();
            let e = Engagement {
                kind: Kind::Click,
                content_id: Uuid::parse_str(&link.sources.content_id).ok(),
                share_link_id: Some(link.id),
                sources: link.sources.clone(),
                viewer: launch.viewer.clone(),
                client_event_id: String::new(),
                target: "link".into(),
            };
            repo::shares::engagements::insert(conn, tenant, &e, now, &day_of(now)).await?;
            publish::share_link_clicked(
                conn,
                tenant,
                &link,
                &launch.viewer,
                launch.wechat_scene,
                now,
            )
            .await?;
        }
        Ok(link)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_shanghai_dates() {
        // 2026-12-07T16:00:00Z is midnight in Shanghai.
        assert_eq!(day_of(1_796_659_200_000 - 1), "2026-12-07");
        assert_eq!(day_of(1_796_659_200_000), "2026-12-08");
    }
}
