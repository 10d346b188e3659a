//! Guide relationships on the bus: MemberGuideChanged written to the outbox with every binding
//! change, and identity's StaffDisabled consumed (the guide's succession, 离职继承).

use prost::Message;
use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, Principal, PrincipalKind, TenantId};
use siyu_proto::events::v1 as ev;
use uuid::Uuid;

use crate::AppError;
use crate::app::App;
use crate::app::domain::{GuideBinding, GuideSource, MemberId};
use crate::events::publish::write_event;

/// Bus subject of MemberGuideChanged.
pub const MEMBER_GUIDE_CHANGED: &str = "membership.member_guide_changed";
/// Event type of identity's StaffDisabled.
pub const STAFF_DISABLED: &str = "siyu.events.v1.StaffDisabled";

fn source_name(s: GuideSource) -> &'static str {
    match s {
        GuideSource::GuideQr => "GUIDE_QR",
        GuideSource::ShareLink => "SHARE_LINK",
        GuideSource::Enrolment => "ENROLMENT",
        GuideSource::Staff => "STAFF",
        GuideSource::Reassignment => "REASSIGNMENT",
        GuideSource::Partner => "PARTNER",
    }
}

/// MemberGuideChanged: `next` is the new binding, `None` for an unbind.
pub async fn member_guide_changed(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user_id: Uuid,
    member: MemberId,
    previous: Option<Uuid>,
    next: Option<&GuideBinding>,
    at_ms: i64,
) -> Result<(), AppError> {
    let msg = ev::MemberGuideChanged {
        member_id: member.to_string(),
        user_id: user_id.to_string(),
        previous_guide_id: previous.map(|g| g.to_string()).unwrap_or_default(),
        guide_id: next.map(|b| b.guide_id.to_string()).unwrap_or_default(),
        store_id: next
            .and_then(|b| b.store_id)
            .map(|s| s.to_string())
            .unwrap_or_default(),
        source: next.map_or("UNBIND", |b| source_name(b.source)).into(),
    };
    write_event(
        conn,
        tenant,
        MEMBER_GUIDE_CHANGED,
        "siyu.events.v1.MemberGuideChanged",
        member.to_string(),
        at_ms,
        msg.encode_to_vec(),
    )
    .await
}

/// StaffDisabled (`body` its payload) of `tenant`: a staff member who was a guide (or has
/// bound members) takes no new bindings and their members follow the tenant's succession rule.
/// Applied in the event's transaction; an undecodable payload is skipped (logged).
pub async fn staff_disabled(
    app: &App,
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    body: &[u8],
) -> Result<(), AppError> {
    let Ok(msg) = ev::StaffDisabled::decode(body) else {
        tracing::warn!(%tenant, "undecodable StaffDisabled skipped");
        return Ok(());
    };
    let Ok(guide) = Uuid::parse_str(&msg.staff_id) else {
        tracing::warn!(%tenant, "StaffDisabled without a staff id skipped");
        return Ok(());
    };
    // Identity's change, acted on as identity (the history records `service:identity`).
    let ctx = Ctx::new(
        tenant,
        Principal {
            subject: "identity".into(),
            kind: PrincipalKind::Service,
            grants: Vec::new(),
            scopes: Vec::new(),
            token_id: None,
        },
    );
    let (moved, to_store) = app.guide_disabled(conn, &ctx, guide, &msg.reason).await?;
    tracing::info!(%guide, moved, to_store, "guide succession applied");
    Ok(())
}
