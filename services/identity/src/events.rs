//! Events identity publishes, written to the outbox in the transaction of the change.

use chrono::{DateTime, Utc};
use prost::Message as _;
use siyu_core::TenantId;
use siyu_proto::events::v1 as ev;
use siyu_proto::time::timestamp;
use siyu_store::outbox::{self, OutgoingEvent, TraceContext};

use crate::error::AppError;

/// Enqueues `UserRegistered` for a user created by a WeChat login.
pub async fn user_registered(
    txn: &impl sea_orm::ConnectionTrait,
    tenant: TenantId,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let payload = ev::UserRegistered {
        user_id: user_id.to_owned(),
        login_method: "wechat_mini_program".into(),
        registered_at: Some(timestamp(now)),
        ..Default::default()
    };
    enqueue(
        txn,
        tenant,
        user_id,
        "siyu.events.v1.UserRegistered",
        "identity.user_registered",
        payload.encode_to_vec(),
        now,
    )
    .await
}

/// Enqueues `StaffDisabled` (every service's auth layer denies the staff's tokens from it on).
pub async fn staff_disabled(
    txn: &impl sea_orm::ConnectionTrait,
    tenant: TenantId,
    payload: ev::StaffDisabled,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let subject_id = payload.staff_id.clone();
    enqueue(
        txn,
        tenant,
        &subject_id,
        "siyu.events.v1.StaffDisabled",
        "identity.staff_disabled",
        payload.encode_to_vec(),
        now,
    )
    .await
}

/// Enqueues `UserPhoneBound`.
pub async fn user_phone_bound(
    txn: &impl sea_orm::ConnectionTrait,
    tenant: TenantId,
    payload: ev::UserPhoneBound,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let subject_id = payload.user_id.clone();
    enqueue(
        txn,
        tenant,
        &subject_id,
        "siyu.events.v1.UserPhoneBound",
        "identity.user_phone_bound",
        payload.encode_to_vec(),
        now,
    )
    .await
}

/// Enqueues `UsersMerged` (subject = the kept user).
pub async fn users_merged(
    txn: &impl sea_orm::ConnectionTrait,
    merge: &crate::repo::merges::records::Merge,
    moved_identity_kinds: Vec<String>,
) -> Result<(), AppError> {
    let payload = ev::UsersMerged {
        merge_id: merge.id.clone(),
        kept_user_id: merge.kept_user_id.clone(),
        merged_user_id: merge.merged_user_id.clone(),
        reason: merge.reason.as_str().to_owned(),
        moved_identity_kinds,
        merged_at: Some(timestamp(merge.created_at)),
    };
    enqueue(
        txn,
        merge.tenant_id,
        &merge.kept_user_id,
        "siyu.events.v1.UsersMerged",
        "identity.users_merged",
        payload.encode_to_vec(),
        merge.created_at,
    )
    .await
}

/// Enqueues `UsersMergeReversed` (subject = the restored user).
pub async fn users_merge_reversed(
    txn: &impl sea_orm::ConnectionTrait,
    tenant: TenantId,
    payload: ev::UsersMergeReversed,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let subject_id = payload.merged_user_id.clone();
    enqueue(
        txn,
        tenant,
        &subject_id,
        "siyu.events.v1.UsersMergeReversed",
        "identity.users_merge_reversed",
        payload.encode_to_vec(),
        now,
    )
    .await
}

async fn enqueue(
    txn: &impl sea_orm::ConnectionTrait,
    tenant: TenantId,
    subject_id: &str,
    type_name: &str,
    subject: &str,
    payload: Vec<u8>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let envelope = ev::EventEnvelope {
        id: siyu_core::id::new_string(),
        tenant_id: tenant.to_string(),
        r#type: type_name.to_owned(),
        occurred_at: Some(timestamp(now)),
        source: "identity".into(),
        subject_id: subject_id.to_owned(),
        payload: Some(prost_types::Any {
            type_url: format!("type.googleapis.com/{type_name}"),
            value: payload,
        }),
        ..Default::default()
    };
    outbox::enqueue(
        txn,
        OutgoingEvent {
            tenant: Some(tenant),
            event_type: subject.to_owned(),
            subject: subject.to_owned(),
            source: "identity".into(),
            occurred_at: now,
            trace: TraceContext::default(),
            payload: envelope.encode_to_vec(),
        },
    )
    .await?;
    Ok(())
}

/// Enqueues `UserErased` (consumers drop the user's PII and keep only the anonymous id).
pub async fn user_erased(
    txn: &impl sea_orm::ConnectionTrait,
    tenant: TenantId,
    user_id: &str,
    requested_by: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let payload = ev::UserErased {
        user_id: user_id.to_owned(),
        requested_by: requested_by.to_owned(),
        erased_at: Some(timestamp(now)),
    };
    enqueue(
        txn,
        tenant,
        user_id,
        "siyu.events.v1.UserErased",
        "identity.user_erased",
        payload.encode_to_vec(),
        now,
    )
    .await
}
