//! Who may call a UserService RPC on which user, and the parsing of its inputs.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use siyu_core::PrincipalKind;
use siyu_proto::identity::v1 as pb;

use crate::app::Actor;
use crate::app::users::ProfilePatch;
use crate::error::AppError;
use crate::grpc::Caller;

/// The user a call acts on, and how the caller sees it.
#[derive(Debug, Clone)]
pub struct Target {
    /// The user id.
    pub user_id: String,
    /// True when phones are masked for this caller (staff, partners).
    pub masked: bool,
    /// The actor for audit entries.
    pub actor: Actor,
}

/// Which callers an RPC admits besides the consumer themself.
#[derive(Debug, Clone, Copy, Default)]
pub struct Allowed {
    /// The consumer acting on themself.
    pub consumer: bool,
    /// Staff holding any of these roles (customer-service roles are tenant-wide, so a grant
    /// anywhere in the tenant counts).
    pub staff: &'static [&'static str],
    /// Partners holding this scope.
    pub partner_scope: Option<&'static str>,
    /// Services.
    pub service: bool,
}

/// Resolves `user_id` (empty = the calling consumer) for `caller` under `allowed`.
pub fn target(caller: &Caller, user_id: &str, allowed: Allowed) -> Result<Target, AppError> {
    if user_id.len() > 64 {
        return Err(AppError::invalid(
            "user_id",
            "must be at most 64 characters",
        ));
    }
    let p = &caller.ctx.principal;
    let actor = Actor {
        kind: caller.actor().0.to_owned(),
        id: p.subject.clone(),
    };
    let (ok, masked) = match p.kind {
        PrincipalKind::Consumer => {
            let own = user_id.is_empty() || user_id == p.subject;
            if allowed.consumer && own {
                return Ok(Target {
                    user_id: p.subject.clone(),
                    masked: false,
                    actor,
                });
            }
            if allowed.consumer {
                // Another user's id: a consumer learns nothing about whether it exists.
                return Err(AppError::NotFound("USER_NOT_FOUND"));
            }
            (false, false)
        }
        PrincipalKind::Staff => (allowed.staff.iter().any(|r| p.has_role(r)), true),
        PrincipalKind::Partner => (allowed.partner_scope.is_some_and(|s| p.has_scope(s)), true),
        PrincipalKind::Service => (allowed.service, false),
    };
    if !ok {
        return Err(AppError::PermissionDenied("PERMISSION_DENIED"));
    }
    if user_id.is_empty() {
        return Err(AppError::invalid("user_id", "is required"));
    }
    Ok(Target {
        user_id: user_id.to_owned(),
        masked,
        actor,
    })
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
                Ok(g) => patch.gender = Some(gender_name(g).to_owned()),
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

/// The stored spelling of a gender ('' = not stated).
pub fn gender_name(g: pb::Gender) -> &'static str {
    match g {
        pb::Gender::Unspecified => "",
        pb::Gender::Male => "MALE",
        pb::Gender::Female => "FEMALE",
        pb::Gender::Other => "OTHER",
    }
}

/// The proto gender of a stored spelling.
pub fn gender_pb(name: &str) -> pb::Gender {
    match name {
        "MALE" => pb::Gender::Male,
        "FEMALE" => pb::Gender::Female,
        "OTHER" => pb::Gender::Other,
        _ => pb::Gender::Unspecified,
    }
}

/// (kind, channel) names of a RecordConsent request, with its reasons for missing parts.
pub fn consent_kind(
    req: &pb::RecordConsentRequest,
) -> Result<(&'static str, &'static str), AppError> {
    let kind = match pb::ConsentKind::try_from(req.kind) {
        Ok(pb::ConsentKind::PrivacyPolicy) => "PRIVACY_POLICY",
        Ok(pb::ConsentKind::TermsOfService) => "TERMS_OF_SERVICE",
        Ok(pb::ConsentKind::Marketing) => "MARKETING",
        _ => {
            return Err(AppError::invalid(
                "kind",
                "must be PRIVACY_POLICY, TERMS_OF_SERVICE or MARKETING",
            ));
        }
    };
    let channel = pb::ConsentChannel::try_from(req.channel)
        .map_err(|_| AppError::invalid("channel", "unknown channel"))?;
    if kind == "MARKETING" {
        if channel == pb::ConsentChannel::Unspecified {
            return Err(AppError::invalid_with(
                "CONSENT_CHANNEL_REQUIRED",
                "channel",
                "is required for MARKETING",
            ));
        }
        return Ok((kind, channel_name(channel)));
    }
    if req.version.trim().is_empty() {
        return Err(AppError::invalid_with(
            "CONSENT_VERSION_REQUIRED",
            "version",
            "is required for PRIVACY_POLICY and TERMS_OF_SERVICE",
        ));
    }
    if channel != pb::ConsentChannel::Unspecified {
        return Err(AppError::invalid("channel", "applies to MARKETING only"));
    }
    Ok((kind, ""))
}

fn channel_name(c: pb::ConsentChannel) -> &'static str {
    match c {
        pb::ConsentChannel::Unspecified => "",
        pb::ConsentChannel::Sms => "SMS",
        pb::ConsentChannel::Wechat => "WECHAT",
        pb::ConsentChannel::Wecom => "WECOM",
        pb::ConsentChannel::InApp => "IN_APP",
        pb::ConsentChannel::PhoneCall => "PHONE_CALL",
        pb::ConsentChannel::Email => "EMAIL",
    }
}

/// The proto kind and channel of stored names.
pub fn consent_pb_kind(kind: &str, channel: &str) -> (pb::ConsentKind, pb::ConsentChannel) {
    let k = match kind {
        "PRIVACY_POLICY" => pb::ConsentKind::PrivacyPolicy,
        "TERMS_OF_SERVICE" => pb::ConsentKind::TermsOfService,
        "MARKETING" => pb::ConsentKind::Marketing,
        _ => pb::ConsentKind::Unspecified,
    };
    let c = [
        pb::ConsentChannel::Sms,
        pb::ConsentChannel::Wechat,
        pb::ConsentChannel::Wecom,
        pb::ConsentChannel::InApp,
        pb::ConsentChannel::PhoneCall,
        pb::ConsentChannel::Email,
    ]
    .into_iter()
    .find(|c| channel_name(*c) == channel)
    .unwrap_or(pb::ConsentChannel::Unspecified);
    (k, c)
}
