//! UpdateUserProfile: the handler and the parsing of its update mask and fields (every field
//! violation at once, INVALID_BIRTHDAY on its own).

use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use siyu_proto::identity::v1 as pb;
use tonic::Request;

use crate::app::consumers::profiles::ProfilePatch;
use crate::error::AppError;
use crate::grpc::consumers::access::target;
use crate::grpc::consumers::convert::view_pb;
use crate::grpc::{Api, Caller, R, record};
use crate::repo::consumers::Gender;

/// UpdateUserProfile, by update mask (a consumer its own, customer service for them).
#[tracing::instrument(skip_all, fields(user_id))]
pub(crate) async fn update(
    api: &Api,
    request: Request<pb::UpdateUserProfileRequest>,
) -> R<pb::UpdateUserProfileResponse> {
    let caller = Caller::of(&request)?;
    let t = target(&caller, &request.get_ref().user_id)?;
    record("user_id", &t.user_id);
    let patch = profile_patch(request.get_ref(), api.app.clock.now())?;
    let (app, tenant, kind) = (
        Arc::clone(&api.app),
        caller.tenant(),
        caller.ctx.principal.kind,
    );
    api.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let view = app
                    .update_profile(txn, tenant, &t.user_id, patch, &t.actor)
                    .await?;
                Ok(pb::UpdateUserProfileResponse {
                    user: Some(view_pb(&view, t.masked, kind)),
                })
            })
        })
        .await
}

/// The profile patch of an UpdateUserProfile request: every field violation at once, then
/// INVALID_BIRTHDAY on its own (the proto gives it a reason of its own).
pub fn profile_patch(
    req: &pb::UpdateUserProfileRequest,
    now: DateTime<Utc>,
) -> Result<ProfilePatch, AppError> {
    let profile = req.profile.clone().unwrap_or_default();
    let paths = req
        .update_mask
        .as_ref()
        .map(|m| m.paths.as_slice())
        .unwrap_or_default();
    let mut violations = Vec::new();
    if paths.is_empty() {
        violations.push((
            "update_mask".to_owned(),
            "must name at least one path".to_owned(),
        ));
    }
    let mut patch = ProfilePatch::default();
    let mut birthday = None;
    for path in paths {
        match path.as_str() {
            "nickname" => {
                let n = profile.nickname.trim().chars().count();
                if n == 0 || n > 32 {
                    violations.push(("profile.nickname".into(), "must be 1..32 characters".into()));
                }
                patch.nickname = Some(profile.nickname.trim().to_owned());
            }
            "avatar_url" => {
                if !https_url(&profile.avatar_url) {
                    violations.push((
                        "profile.avatar_url".into(),
                        "must be an https URL of at most 512 characters".into(),
                    ));
                }
                patch.avatar_url = Some(profile.avatar_url.clone());
            }
            "gender" => match pb::Gender::try_from(profile.gender) {
                Ok(g) => patch.gender = Some(gender_of(g)),
                Err(_) => violations.push(("profile.gender".into(), "unknown gender".into())),
            },
            "birthday" => birthday = Some(profile.birthday.clone()),
            other => violations.push(("update_mask".into(), format!("unknown path {other:?}"))),
        }
    }
    if !violations.is_empty() {
        return Err(AppError::InvalidArgument {
            reason: "INVALID_ARGUMENT",
            fields: violations,
        });
    }
    if let Some(b) = birthday {
        if !b.is_empty() && !valid_birthday(&b, now) {
            return Err(AppError::invalid_with(
                "INVALID_BIRTHDAY",
                "profile.birthday",
                "must be YYYY-MM-DD and not in the future",
            ));
        }
        patch.birthday = Some(b);
    }
    Ok(patch)
}

fn https_url(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("https://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    url.len() <= 512
        && !host.is_empty()
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Strict `YYYY-MM-DD`, a real date, not after today in China (UTC+8).
fn valid_birthday(value: &str, now: DateTime<Utc>) -> bool {
    if value.len() != 10 {
        return false;
    }
    let Ok(date) = NaiveDate::parse_from_str(value, "%Y-%m-%d") else {
        return false;
    };
    let today = FixedOffset::east_opt(8 * 3600)
        .map_or(now.date_naive(), |tz| now.with_timezone(&tz).date_naive());
    date <= today
}

/// The gender of a wire gender (None = not stated).
pub fn gender_of(g: pb::Gender) -> Option<Gender> {
    match g {
        pb::Gender::Unspecified => None,
        pb::Gender::Male => Some(Gender::Male),
        pb::Gender::Female => Some(Gender::Female),
        pb::Gender::Other => Some(Gender::Other),
    }
}
