//! Parsing of TenantService input: new tenants and their apps, tenant changes, WeChat apps.

use siyu_proto::identity::v1 as pb;

use crate::app::tenancy::apps::NewApp;
use crate::app::tenancy::platform_admin::TenantChange;
use crate::app::tenancy::tenants::NewTenant;
use crate::error::AppError;
use crate::repo::tenancy::{AppKind, TenantStatus};

/// A CreateTenant request.
pub(super) fn new_tenant_in(req: &pb::CreateTenantRequest) -> Result<NewTenant, AppError> {
    let code_ok = (2..=32).contains(&req.code.len())
        && req
            .code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !code_ok {
        return Err(AppError::invalid("code", "must be 2..32 of a-z, 0-9, '-'"));
    }
    if req.name.trim().is_empty() || req.name.chars().count() > 64 {
        return Err(AppError::invalid("name", "must be 1..64 characters"));
    }
    let login_ok = (3..=64).contains(&req.admin_login_name.len())
        && req.admin_login_name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        });
    if !login_ok {
        return Err(AppError::invalid(
            "admin_login_name",
            "must be 3..64 of a-z, 0-9, '.', '_', '-'",
        ));
    }
    let apps = req
        .apps
        .iter()
        .enumerate()
        .map(|(i, app)| app_in(app, &format!("apps[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(NewTenant {
        code: req.code.clone(),
        name: req.name.clone(),
        apps,
        admin_login_name: req.admin_login_name.clone(),
        admin_display_name: req.admin_display_name.clone(),
        admin_password: req.admin_initial_password.clone(),
    })
}

/// The change of an UpdateTenant request (name, status, reason), every violation at once.
pub(super) fn tenant_change_in(
    req: &pb::UpdateTenantRequest,
    t: &pb::Tenant,
) -> Result<TenantChange, AppError> {
    let paths = req
        .update_mask
        .as_ref()
        .map(|m| m.paths.as_slice())
        .unwrap_or_default();
    let mut change = TenantChange {
        reason: req.reason.trim().to_owned(),
        ..TenantChange::default()
    };
    let mut bad = Vec::new();
    for path in paths {
        match path.as_str() {
            "name" => {
                if t.name.trim().is_empty() || t.name.chars().count() > 64 {
                    bad.push(("tenant.name", "must be 1..64 characters".to_owned()));
                }
                change.name = Some(t.name.trim().to_owned());
            }
            "status" => match pb::TenantStatus::try_from(t.status) {
                Ok(pb::TenantStatus::Active) => change.status = Some(TenantStatus::Active),
                Ok(pb::TenantStatus::Suspended) => change.status = Some(TenantStatus::Suspended),
                _ => bad.push(("tenant.status", "must be ACTIVE or SUSPENDED".to_owned())),
            },
            other => bad.push(("update_mask", format!("unknown path {other:?}"))),
        }
    }
    if paths.is_empty() {
        bad.push(("update_mask", "must name at least one path".to_owned()));
    }
    if change.status == Some(TenantStatus::Suspended) && change.reason.is_empty() {
        bad.push(("reason", "is required when suspending".to_owned()));
    }
    if change.reason.chars().count() > 500 {
        bad.push(("reason", "must be at most 500 characters".to_owned()));
    }
    if bad.is_empty() {
        Ok(change)
    } else {
        Err(AppError::InvalidArgument {
            reason: "INVALID_ARGUMENT",
            fields: bad.into_iter().map(|(f, d)| (f.to_owned(), d)).collect(),
        })
    }
}

/// A WeChatApp of a request; `field` prefixes violations.
pub(super) fn app_in(app: &pb::WeChatApp, field: &str) -> Result<NewApp, AppError> {
    let kind = match pb::AppKind::try_from(app.kind).unwrap_or(pb::AppKind::Unspecified) {
        pb::AppKind::MiniProgram => AppKind::MiniProgram,
        pb::AppKind::OfficialAccount => AppKind::OfficialAccount,
        pb::AppKind::Wecom => AppKind::Wecom,
        pb::AppKind::H5 => AppKind::H5,
        pb::AppKind::Unspecified => {
            return Err(AppError::invalid(&format!("{field}.kind"), "must be set"));
        }
    };
    let id_ok = (2..=64).contains(&app.app_id.len())
        && app
            .app_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !id_ok {
        return Err(AppError::invalid(
            &format!("{field}.app_id"),
            "must be 2..64 letters, digits, '_' or '-'",
        ));
    }
    if app.app_secret.len() > 256 {
        return Err(AppError::invalid(
            &format!("{field}.app_secret"),
            "is too long",
        ));
    }
    Ok(NewApp {
        app_id: app.app_id.clone(),
        kind,
        name: app.name.clone(),
        secret: app.app_secret.clone(),
        enabled: app.enabled,
    })
}

/// An app id named by a request (not a UUID: WeChat's own ids).
pub(super) fn app_id_in(app_id: &str) -> Result<String, AppError> {
    if app_id.is_empty() || app_id.len() > 64 {
        Err(AppError::invalid("app_id", "must be 1..64 characters"))
    } else {
        Ok(app_id.to_owned())
    }
}
