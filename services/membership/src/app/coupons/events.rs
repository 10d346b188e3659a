//! CouponGranted to the outbox, in the transaction of the issue: `subject_id` is the member id
//! (a member's events are published in the order written), the payload an `EventEnvelope` with
//! the event as `Any`, as every membership event.

use prost::Message;
use sea_orm::ConnectionTrait;
use siyu_core::TenantId;
use siyu_proto::events::v1 as ev;
use siyu_proto::time::timestamp_ms;
use siyu_store::OutgoingEvent;
use siyu_store::outbox::{TraceContext, enqueue};
use uuid::Uuid;

use crate::AppError;
use crate::app::domain::{Attribution, Coupon, CouponSource, Member};
use crate::grpc::convert::attribution_to_wire;

/// Bus subject (and event type) of CouponGranted.
pub const COUPON_GRANTED: &str = "membership.coupon_granted";

/// The coupons of one event, as the events name them.
fn granted(coupons: &[Coupon]) -> Vec<ev::GrantedCoupon> {
    coupons
        .iter()
        .map(|c| ev::GrantedCoupon {
            coupon_id: c.id.to_string(),
            template_id: c.template_id.to_string(),
            name: c.name.clone(),
            valid_from: Some(timestamp_ms(c.valid_from_ms)),
            valid_until: Some(timestamp_ms(c.valid_until_ms)),
        })
        .collect()
}

/// CouponGranted for `coupons` just issued to `member` (nothing when empty).
pub async fn coupon_granted(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: &Member,
    coupons: &[Coupon],
    (source, grant_id, attribution): (CouponSource, Option<Uuid>, &Attribution),
    now_ms: i64,
) -> Result<(), AppError> {
    if coupons.is_empty() {
        return Ok(());
    }
    let msg = ev::CouponGranted {
        member_id: member.id.to_string(),
        user_id: member.user_id.to_string(),
        coupons: granted(coupons),
        source: source.name().into(),
        grant_id: grant_id.map(|g| g.to_string()).unwrap_or_default(),
        attribution: Some(attribution_to_wire(attribution)),
    };
    let type_name = "siyu.events.v1.CouponGranted";
    let occurred_at = chrono::DateTime::from_timestamp_millis(now_ms)
        .ok_or_else(|| AppError::Internal("event time out of range".into()))?;
    let envelope = ev::EventEnvelope {
        id: siyu_core::id::new_string(),
        tenant_id: tenant.to_string(),
        r#type: type_name.to_owned(),
        occurred_at: Some(timestamp_ms(now_ms)),
        source: "membership".into(),
        subject_id: member.id.to_string(),
        traceparent: String::new(),
        tracestate: String::new(),
        payload: Some(prost_types::Any {
            type_url: format!("type.googleapis.com/{type_name}"),
            value: msg.encode_to_vec(),
        }),
    };
    enqueue(
        conn,
        OutgoingEvent {
            tenant: Some(tenant),
            event_type: COUPON_GRANTED.to_owned(),
            subject: COUPON_GRANTED.to_owned(),
            source: "membership".into(),
            occurred_at,
            trace: TraceContext::default(),
            payload: envelope.encode_to_vec(),
        },
    )
    .await?;
    Ok(())
}

/// Bus subject (and event type) of CouponExpiring.
pub const COUPON_EXPIRING: &str = "membership.coupon_expiring";

/// CouponExpiring: `coupons` of `member` end within the reminder window, the soonest
/// `days_ahead` days from now (nothing when empty).
pub async fn coupon_expiring(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: &Member,
    coupons: &[Coupon],
    days_ahead: i32,
    now_ms: i64,
) -> Result<(), AppError> {
    if coupons.is_empty() {
        return Ok(());
    }
    let msg = ev::CouponExpiring {
        member_id: member.id.to_string(),
        user_id: member.user_id.to_string(),
        coupons: granted(coupons),
        days_ahead,
    };
    crate::events::publish::write_event(
        conn,
        tenant,
        COUPON_EXPIRING,
        "siyu.events.v1.CouponExpiring",
        member.id.to_string(),
        now_ms,
        msg.encode_to_vec(),
    )
    .await
}
