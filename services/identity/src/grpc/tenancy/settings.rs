//! TenantService: GetTenantSettings and UpdateTenantSettings, under an etag.

use std::sync::Arc;

use siyu_proto::identity::v1 as pb;
use siyu_proto::time::timestamp;
use tonic::{Request, Response};

use siyu_core::TenantId;

use crate::app::App;
use crate::app::tenancy::settings::{SettingsChange, StoredSettings};
use crate::error::AppError;
use crate::grpc::tenancy::apps::app_view;
use crate::grpc::tenancy::pay_config::pay_view;
use crate::grpc::tenancy::settings_mask::merge;
use crate::grpc::{Api, Caller, R, owned_actor};

/// The wire form of stored settings (secrets of apps and pay config masked by their views).
pub(super) async fn settings_view(
    app: &App,
    conn: &impl sea_orm::ConnectionTrait,
    tenant: TenantId,
    s: &StoredSettings,
) -> Result<pb::TenantSettings, AppError> {
    let apps = app.apps_of(conn, tenant).await?;
    let pay = app.pay_config(conn, tenant).await?;
    let (p, o, sec) = (&s.defaults.points, &s.defaults.orders, &s.defaults.security);
    Ok(pb::TenantSettings {
        tenant_id: tenant.to_string(),
        apps: apps.iter().map(app_view).collect(),
        wechat_pay: pay.as_ref().map(pay_view),
        points_defaults: Some(pb::PointsDefaults {
            earn_points_per_yuan: p.earn_points_per_yuan,
            redeem_points_per_yuan: p.redeem_points_per_yuan,
            max_points_deduction_bps: p.max_points_deduction_bps,
            points_expiry_years: p.points_expiry_years,
        }),
        order_defaults: Some(pb::OrderDefaults {
            unpaid_timeout_seconds: o.unpaid_timeout_seconds,
            auto_complete_days: o.auto_complete_days,
            after_sale_window_days: o.after_sale_window_days,
            currency_code: o.currency_code.clone(),
        }),
        security: Some(pb::SecuritySettings {
            staff_lockout_threshold: sec.staff_lockout_threshold,
            staff_lockout_seconds: sec.staff_lockout_seconds,
            staff_password_max_age_days: sec.staff_password_max_age_days,
            require_totp_for_admins: sec.require_totp_for_admins,
        }),
        privacy_policy_version: s.privacy_policy_version.clone(),
        etag: s.version.to_string(),
        update_time: Some(timestamp(s.updated_at)),
    })
}

/// GetTenantSettings: one of the method's roles on the root, or a service (masked).
#[tracing::instrument(skip_all)]
pub(super) async fn get(
    api: &Api,
    request: Request<pb::GetTenantSettingsRequest>,
) -> R<pb::GetTenantSettingsResponse> {
    let caller = Caller::of(&request)?;
    api.app.require_on_root(&caller.ctx).await?;
    let tenant = caller.tenant();
    let stored = api.app.tenant_settings(&api.app.db, tenant).await?;
    Ok(Response::new(pb::GetTenantSettingsResponse {
        settings: Some(settings_view(&api.app, &api.app.db, tenant, &stored).await?),
    }))
}

/// UpdateTenantSettings under the etag, by update mask.
#[tracing::instrument(skip_all)]
pub(super) async fn update(
    api: &Api,
    request: Request<pb::UpdateTenantSettingsRequest>,
) -> R<pb::UpdateTenantSettingsResponse> {
    let caller = Caller::of(&request)?;
    api.app.require_on_root(&caller.ctx).await?;
    let (new, expected, paths) = update_in(request.get_ref())?;
    let (app, tenant, actor) = (Arc::clone(&api.app), caller.tenant(), owned_actor(&caller));
    api.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                // Merged inside the transaction (a replay never gets here): the base must be
                // the version the etag names, and the write re-checks it.
                let current = app.tenant_settings(txn, tenant).await?;
                if current.version != expected {
                    return Err(AppError::ConcurrentModification);
                }
                let (defaults, privacy) = merge(&current.defaults, &new, &paths)?;
                let change = SettingsChange {
                    defaults,
                    privacy_policy_version: privacy,
                    expected_version: expected,
                    paths,
                };
                let stored = app
                    .update_tenant_settings(txn, tenant, change, (&actor.0, &actor.1))
                    .await?;
                Ok(pb::UpdateTenantSettingsResponse {
                    settings: Some(settings_view(&app, txn, tenant, &stored).await?),
                })
            })
        })
        .await
}

/// (settings, etag version, mask paths) of an UpdateTenantSettings request.
fn update_in(
    req: &pb::UpdateTenantSettingsRequest,
) -> Result<(pb::TenantSettings, i64, Vec<String>), AppError> {
    let new = req
        .settings
        .clone()
        .ok_or_else(|| AppError::invalid("settings", "is required"))?;
    let expected: i64 = new
        .etag
        .parse()
        .map_err(|_| AppError::invalid("settings.etag", "must be the etag read"))?;
    let paths = req
        .update_mask
        .as_ref()
        .map(|m| m.paths.clone())
        .unwrap_or_default();
    Ok((new, expected, paths))
}
