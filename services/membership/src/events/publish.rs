//! Writes membership's events to the outbox as `EventEnvelope`s with the payload as `Any`;
//! `subject_id` is the member id, so a member's events are published in the order written.

use prost::Message;
use sea_orm::ConnectionTrait;
use siyu_core::TenantId;
use siyu_proto::common::v1::Money;
use siyu_proto::events::v1 as ev;
use siyu_proto::time::timestamp_ms;
use siyu_store::OutgoingEvent;
use siyu_store::outbox::{TraceContext, enqueue};

use crate::AppError;
use crate::app::domain::{Account, Balances, JournalEntry, Member};
use crate::grpc::convert::attribution_to_wire;

/// Bus subject (and event type) of MemberEnrolled.
pub const MEMBER_ENROLLED: &str = "membership.member_enrolled";
/// Bus subject of PointsEarned.
pub const POINTS_EARNED: &str = "membership.points_earned";
/// Bus subject of PointsRedeemed.
pub const POINTS_REDEEMED: &str = "membership.points_redeemed";
/// Bus subject of PointsExpired.
pub const POINTS_EXPIRED: &str = "membership.points_expired";
/// Bus subject of StoredValueChanged.
pub const STORED_VALUE_CHANGED: &str = "membership.stored_value_changed";

fn cny(fen: i64) -> Option<Money> {
    Some(Money {
        minor_units: fen,
        currency_code: "CNY".into(),
    })
}

async fn write(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    subject: &str,
    type_name: &str,
    member: &Member,
    occurred_at_ms: i64,
    payload: Vec<u8>,
) -> Result<(), AppError> {
    let subject_id = member.id.to_string();
    write_event(
        conn,
        tenant,
        subject,
        type_name,
        subject_id,
        occurred_at_ms,
        payload,
    )
    .await
}

/// Writes one of membership's events (`type_name` its proto name) to the outbox, subject
/// `subject_id` (events of one subject are published in the order written), occurring at
/// `at_ms`.
pub(crate) async fn write_event(
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
        source: "membership".into(),
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
            source: "membership".into(),
            occurred_at,
            trace: TraceContext::default(),
            payload: envelope.encode_to_vec(),
        },
    )
    .await?;
    Ok(())
}

/// MemberEnrolled for a member just created.
pub async fn member_enrolled(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    m: &Member,
) -> Result<(), AppError> {
    let msg = ev::MemberEnrolled {
        member_id: m.id.to_string(),
        user_id: m.user_id.to_string(),
        card_number: m.card_number.clone(),
        tier_code: String::new(),
        attribution: Some(attribution_to_wire(&m.attribution)),
        home_store_id: m.home_store_id.map(|s| s.to_string()).unwrap_or_default(),
        inviter_member_id: m
            .inviter_member_id
            .map(|i| i.to_string())
            .unwrap_or_default(),
        guide_id: m
            .guide
            .as_ref()
            .map(|g| g.guide_id.to_string())
            .unwrap_or_default(),
        enrolled_at: Some(timestamp_ms(m.enrolled_at_ms)),
    };
    let type_name = "siyu.events.v1.MemberEnrolled";
    write(
        conn,
        tenant,
        MEMBER_ENROLLED,
        type_name,
        m,
        m.enrolled_at_ms,
        msg.encode_to_vec(),
    )
    .await
}

/// PointsEarned for an entry that credited points (`source` as the event names it).
pub async fn points_earned(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    m: &Member,
    entry: &JournalEntry,
    after: &Balances,
    source: &str,
    expires_at_ms: Option<i64>,
) -> Result<(), AppError> {
    let msg = ev::PointsEarned {
        member_id: m.id.to_string(),
        user_id: m.user_id.to_string(),
        points: entry.points_delta,
        balance_after: after.points_available,
        entry_id: entry.id.to_string(),
        source: source.to_owned(),
        order_id: entry.order_id.map(|o| o.to_string()).unwrap_or_default(),
        expires_at: expires_at_ms.map(timestamp_ms),
    };
    let type_name = "siyu.events.v1.PointsEarned";
    write(
        conn,
        tenant,
        POINTS_EARNED,
        type_name,
        m,
        entry.created_at_ms,
        msg.encode_to_vec(),
    )
    .await
}

/// PointsRedeemed for a redemption (`purpose` a RedeemPurpose number) or a capture (0).
pub async fn points_redeemed(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    m: &Member,
    entry: &JournalEntry,
    after: &Balances,
    purpose: i32,
) -> Result<(), AppError> {
    let points: i64 = entry
        .postings
        .iter()
        .filter(|p| p.account == Account::PointsRedeemed)
        .map(|p| p.amount)
        .sum();
    let purpose = match purpose {
        0 => "ORDER",
        1 => "POINTS_MALL",
        2 => "IN_STORE",
        3 => "COUPON_EXCHANGE",
        4 => "GAME",
        _ => "OTHER",
    };
    let msg = ev::PointsRedeemed {
        member_id: m.id.to_string(),
        user_id: m.user_id.to_string(),
        points,
        balance_after: after.points_available,
        entry_id: entry.id.to_string(),
        purpose: purpose.into(),
        order_id: entry.order_id.map(|o| o.to_string()).unwrap_or_default(),
    };
    let type_name = "siyu.events.v1.PointsRedeemed";
    write(
        conn,
        tenant,
        POINTS_REDEEMED,
        type_name,
        m,
        entry.created_at_ms,
        msg.encode_to_vec(),
    )
    .await
}

/// PointsExpired for lots expired on touch.
pub async fn points_expired(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    m: &Member,
    entry: &JournalEntry,
    after: &Balances,
    points: i64,
) -> Result<(), AppError> {
    let msg = ev::PointsExpired {
        member_id: m.id.to_string(),
        user_id: m.user_id.to_string(),
        points,
        balance_after: after.points_available,
        entry_id: entry.id.to_string(),
    };
    let type_name = "siyu.events.v1.PointsExpired";
    write(
        conn,
        tenant,
        POINTS_EXPIRED,
        type_name,
        m,
        entry.created_at_ms,
        msg.encode_to_vec(),
    )
    .await
}

/// StoredValueChanged for an entry that moved stored value (`change_type` as the event names it).
pub async fn stored_value_changed(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    m: &Member,
    entry: &JournalEntry,
    after: &Balances,
    change_type: &str,
) -> Result<(), AppError> {
    let sum = |account: Account| -> i64 {
        entry
            .postings
            .iter()
            .filter(|p| p.account == account)
            .map(|p| p.amount)
            .sum()
    };
    let msg = ev::StoredValueChanged {
        member_id: m.id.to_string(),
        user_id: m.user_id.to_string(),
        entry_id: entry.id.to_string(),
        change_type: change_type.to_owned(),
        principal_delta: cny(sum(Account::SvPrincipal)),
        bonus_delta: cny(sum(Account::SvBonus)),
        principal_after: cny(after.sv_principal),
        bonus_after: cny(after.sv_bonus),
        order_id: entry.order_id.map(|o| o.to_string()).unwrap_or_default(),
        refund_id: entry.refund_id.map(|r| r.to_string()).unwrap_or_default(),
    };
    let type_name = "siyu.events.v1.StoredValueChanged";
    write(
        conn,
        tenant,
        STORED_VALUE_CHANGED,
        type_name,
        m,
        entry.created_at_ms,
        msg.encode_to_vec(),
    )
    .await
}

/// Bus subject of TierChanged.
pub const TIER_CHANGED: &str = "membership.tier_changed";

/// TierChanged for a member who moved from `from` (a code, empty when none) to `to`.
#[allow(clippy::too_many_arguments, reason = "the event's fields")]
pub async fn tier_changed(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    m: &Member,
    from: &str,
    to: &crate::app::domain::Tier,
    upgrade: bool,
    cause: &str,
    growth: i64,
    at_ms: i64,
) -> Result<(), AppError> {
    let msg = ev::TierChanged {
        member_id: m.id.to_string(),
        user_id: m.user_id.to_string(),
        previous_tier_code: from.to_owned(),
        tier_code: to.code.clone(),
        tier_name: to.name.clone(),
        upgrade,
        cause: cause.to_owned(),
        growth_value: growth,
    };
    let type_name = "siyu.events.v1.TierChanged";
    write(
        conn,
        tenant,
        TIER_CHANGED,
        type_name,
        m,
        at_ms,
        msg.encode_to_vec(),
    )
    .await
}

/// Bus subject of PointsExpiring.
pub const POINTS_EXPIRING: &str = "membership.points_expiring";

/// PointsExpiring: `points` of the member expire at `expires_at_ms`, `days_ahead` from now.
#[allow(clippy::too_many_arguments, reason = "the event's fields")]
pub async fn points_expiring(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    m: &Member,
    points: i64,
    expires_at_ms: i64,
    days_ahead: i32,
    balance: i64,
    now_ms: i64,
) -> Result<(), AppError> {
    let msg = ev::PointsExpiring {
        member_id: m.id.to_string(),
        user_id: m.user_id.to_string(),
        points,
        expires_at: Some(timestamp_ms(expires_at_ms)),
        days_ahead,
        balance,
    };
    let type_name = "siyu.events.v1.PointsExpiring";
    write(
        conn,
        tenant,
        POINTS_EXPIRING,
        type_name,
        m,
        now_ms,
        msg.encode_to_vec(),
    )
    .await
}
