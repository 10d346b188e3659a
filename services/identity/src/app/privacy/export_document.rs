//! The personal data export document: one JSON object with everything identity holds about a
//! user, as the user may see it (their own phone in full; openids of apps other than the one
//! the export was requested from are listed without their value, as ListLinkedIdentities does).

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use siyu_core::TenantId;

use crate::error::AppError;
use crate::repo::consumers::identities as identities_repo;
use crate::repo::consumers::profiles as profiles_repo;
use crate::repo::consumers::users::User;
use crate::repo::consumers::{Gender, IdentityKind};
use crate::repo::merges::records as merges_repo;
use crate::repo::privacy::ConsentChannel;
use crate::repo::privacy::personal_data as repo;

/// The format tag of the document, so readers can tell versions apart.
pub const FORMAT: &str = "siyu.identity.personal_data_export/v1";
/// Most audit entries listed (the newest).
const AUDIT_LIMIT: i64 = 1000;

/// Builds the document of `user` (read in the caller's transaction, under the user's lock).
pub(super) async fn build(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user: &User,
    app_id: &str,
    now: DateTime<Utc>,
) -> Result<Vec<u8>, AppError> {
    let id = user.id.as_str();
    let profile = profiles_repo::get(conn, tenant, id)
        .await?
        .unwrap_or_default();
    let identities: Vec<Value> = identities_repo::identities_of(conn, tenant, id)
        .await?
        .iter()
        .map(|i| {
            let visible =
                i.kind != IdentityKind::Openid || (!app_id.is_empty() && i.scope == app_id);
            json!({
                "kind": crate::app::merges::merge::event_kind(i.kind),
                "app_id": i.scope,
                "value": if visible { i.value.as_str() } else { "" },
                "value_omitted": !visible,
                "linked_at": time(i.created_at),
            })
        })
        .collect();
    let consents: Vec<Value> = crate::repo::privacy::consents::consents_of(conn, tenant, id)
        .await?
        .iter()
        .map(|c| {
            json!({
                "kind": c.kind.as_str(),
                "channel": c.channel.map(ConsentChannel::as_str).unwrap_or_default(),
                "version": c.version,
                "granted": c.granted,
                "source": c.source,
                "ip_masked": c.ip_masked,
                "recorded_at": time(c.created_at),
            })
        })
        .collect();
    let sessions: Vec<Value> = repo::sessions_of(conn, tenant, id)
        .await?
        .iter()
        .map(|s| {
            json!({
                "session_id": s.id,
                "login_method": s.login_method,
                "app_id": s.app_id,
                "user_agent": s.user_agent,
                "ip_masked": s.ip_masked,
                "started_at": time(s.created_at),
                "last_refresh_at": time(s.last_refresh_at),
                "revoked_at": s.revoked_at.map(time),
            })
        })
        .collect();
    let mut merges = Vec::new();
    for record in merges_repo::merges_of(conn, tenant, id).await? {
        let m = &record.merge;
        merges.push(json!({
            "merge_id": m.id,
            "kept_user_id": m.kept_user_id,
            "merged_user_id": m.merged_user_id,
            "reason": m.reason.as_str(),
            "moved_identities": m.moved.len(),
            "merged_at": time(m.created_at),
            "reversed_at": record.reversed_at.map(time),
        }));
    }
    let audit: Vec<Value> = repo::audit_about(conn, tenant, id, AUDIT_LIMIT)
        .await?
        .iter()
        .map(|a| {
            json!({
                "seq": a.seq,
                "kind": a.kind,
                "outcome": a.outcome.as_str(),
                "actor_kind": a.actor_kind,
                "at": time(a.created_at),
            })
        })
        .collect();
    let document = json!({
        "format": FORMAT,
        "generated_at": time(now),
        "user": {
            "user_id": id,
            "status": user.status.as_str(),
            "phone": user.phone.as_deref().unwrap_or_default(),
            "merged_into_user_id": user.merged_into.as_deref().unwrap_or_default(),
            "created_at": time(user.created_at),
            "updated_at": time(user.updated_at),
            "profile": {
                "nickname": profile.nickname,
                "avatar_url": profile.avatar_url,
                "gender": profile.gender.map(Gender::as_str).unwrap_or_default(),
                "birthday": profile.birthday,
            },
        },
        "linked_identities": identities,
        "consents": consents,
        "sessions": sessions,
        "merges": merges,
        "security_events": audit,
        // Membership, orders and content keep their own data; identity cannot gather it yet.
        "not_included": ["membership", "orders", "content"],
    });
    serde_json::to_vec_pretty(&document).map_err(|e| AppError::Internal(e.to_string()))
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}
