//! Writes content's events to the outbox as `EventEnvelope`s with the payload as `Any`, on the
//! bus subject `content.<event>`; `subject_id` is the content id, so an item's events are
//! published in the order written.

use prost::Message;
use sea_orm::ConnectionTrait;
use siyu_core::TenantId;
use siyu_proto::events::v1 as ev;
use siyu_proto::time::timestamp_ms;
use siyu_store::OutgoingEvent;
use siyu_store::outbox::{TraceContext, enqueue};

use crate::AppError;
use crate::app::contents::model::Content;
use crate::app::shares::ShareLink;
use crate::app::shares::engagements::Viewer;

/// Bus subject of ContentPublished.
pub const CONTENT_PUBLISHED: &str = "content.content_published";

/// Writes one event about `subject_id` (`type_name` its proto name) to the outbox on `subject`.
async fn write(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    subject: &str,
    type_name: &str,
    subject_id: String,
    at_ms: i64,
    payload: Vec<u8>,
) -> Result<(), AppError> {
    let occurred_at = chrono::DateTime::from_timestamp_millis(at_ms)
        .ok_or_else(|| AppError::Internal("event time out of range".into()))?;
    let envelope = ev::EventEnvelope {
        id: siyu_core::id::new_string(),
        tenant_id: tenant.to_string(),
        r#type: type_name.to_owned(),
        occurred_at: Some(timestamp_ms(at_ms)),
        source: "content".into(),
        subject_id,
        traceparent: String::new(),
        tracestate: String::new(),
        payload: Some(prost_types::Any {
            type_url: format!("type.googleapis.com/{type_name}"),
            value: payload,
        }),
    };
    enqueue(
        conn,
        OutgoingEvent {
            tenant: Some(tenant),
            event_type: subject.to_owned(),
            subject: subject.to_owned(),
            source: "content".into(),
            occurred_at,
            trace: TraceContext::default(),
            payload: envelope.encode_to_vec(),
        },
    )
    .await?;
    Ok(())
}

/// ContentPublished for `content`, whose live version just went live at `at_ms`.
pub async fn content_published(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    content: &Content,
    first_publication: bool,
    at_ms: i64,
) -> Result<(), AppError> {
    let live = content
        .live
        .as_ref()
        .ok_or_else(|| AppError::Internal("published without a live version".into()))?;
    let event = ev::ContentPublished {
        content_id: content.id.to_string(),
        kind: content.kind.name().into(),
        version: content.published_version,
        title: live.body.title().to_owned(),
        tags: live.tags.clone(),
        product_ids: live.product_ids.iter().map(ToString::to_string).collect(),
        owner_org_unit_id: content
            .owner_org_unit_id
            .map(|u| u.to_string())
            .unwrap_or_default(),
        first_publication,
        published_at: Some(timestamp_ms(at_ms)),
    };
    write(
        conn,
        tenant,
        CONTENT_PUBLISHED,
        "siyu.events.v1.ContentPublished",
        content.id.to_string(),
        at_ms,
        event.encode_to_vec(),
    )
    .await
}

/// The Attribution a launch of `link` carries (into events, login, enrolment and checkout).
pub fn attribution(link: &ShareLink) -> siyu_proto::common::v1::Attribution {
    siyu_proto::common::v1::Attribution {
        channel: link.channel,
        scene_code: link.scene_code.clone(),
        store_id: link.sources.store_id.clone(),
        guide_id: link.sources.guide_id.clone(),
        campaign_id: link.sources.campaign_id.clone(),
        referrer_user_id: link.sharer_user_id.clone(),
        content_id: link.sources.content_id.clone(),
        share_link_id: link.id.to_string(),
    }
}

/// Bus subject of ShareLinkClicked.
pub const SHARE_LINK_CLICKED: &str = "content.share_link_clicked";

/// ShareLinkClicked for `link`, opened by `viewer` at `at_ms`; `subject_id` is the link's id.
pub async fn share_link_clicked(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    link: &ShareLink,
    viewer: &Viewer,
    wechat_scene: i32,
    at_ms: i64,
) -> Result<(), AppError> {
    let (user_id, device_id) = match viewer {
        Viewer::User(u) => (u.clone(), String::new()),
        Viewer::Device(d) => (String::new(), d.clone()),
    };
    let event = ev::ShareLinkClicked {
        share_link_id: link.id.to_string(),
        scene_code: link.scene_code.clone(),
        user_id,
        device_id,
        attribution: Some(attribution(link)),
        wechat_scene,
        clicked_at: Some(timestamp_ms(at_ms)),
    };
    write(
        conn,
        tenant,
        SHARE_LINK_CLICKED,
        "siyu.events.v1.ShareLinkClicked",
        link.id.to_string(),
        at_ms,
        event.encode_to_vec(),
    )
    .await
}
