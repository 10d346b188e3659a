//! Content's ShareLinkClicked: a member who opens a guide's share link is bound to that guide
//! (专属导购, source SHARE_LINK), as the member's own scan would through BindGuide — so the
//! tenant's policy decides (by default only a member without a guide is bound; a binding to
//! the same guide and store changes nothing, which makes redeliveries and repeated clicks
//! harmless). Clicks without a logged-in user, of links without a guide and store, or of users
//! who are not members bind nothing: the referral and guide of a visitor who enrols later
//! reach membership with EnrollMember's attribution, which the front end carries from the link.

use sea_orm::DatabaseTransaction;
use siyu_core::{Ctx, Principal, PrincipalKind};
use siyu_proto::events::v1 as ev;
use uuid::Uuid;

use super::Incoming;
use crate::AppError;
use crate::app::App;
use crate::app::domain::GuideSource;
use crate::app::guides::bind::Bind;

/// Event type of ShareLinkClicked.
pub const SHARE_LINK_CLICKED: &str = "siyu.events.v1.ShareLinkClicked";

/// ShareLinkClicked → the viewing member bound to the link's guide.
pub async fn clicked(app: &App, txn: &DatabaseTransaction, e: &Incoming) -> Result<(), AppError> {
    let Some(c) = e.decode::<ev::ShareLinkClicked>() else {
        return Ok(());
    };
    let a = c.attribution.unwrap_or_default();
    let (Ok(user), Ok(guide_id), Ok(store_id)) = (
        Uuid::parse_str(&c.user_id),
        Uuid::parse_str(&a.guide_id),
        Uuid::parse_str(&a.store_id),
    ) else {
        tracing::info!(event_id = %e.event_id, "share link click binds nothing");
        return Ok(());
    };
    // The click is the viewer's own act: bound as their scan would be.
    let ctx = Ctx::new(
        e.tenant,
        Principal {
            subject: user.to_string(),
            kind: PrincipalKind::Consumer,
            grants: Vec::new(),
            scopes: Vec::new(),
            token_id: None,
        },
    );
    let bind = Bind {
        member: None,
        guide_id,
        store_id,
        source: GuideSource::ShareLink,
        note: format!("share link {}", c.share_link_id),
    };
    let bound = app.bind_guide(txn, &ctx, bind).await?;
    tracing::info!(share_link_id = %c.share_link_id, changed = bound.changed, "share link guide");
    Ok(())
}
