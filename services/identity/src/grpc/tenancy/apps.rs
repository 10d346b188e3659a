//! TenantService: the WeChat apps of a tenant — UpsertApp, RemoveApp — and
//! ResolveTenantByAppId, with the wire form of an app (never its secret).

use std::sync::Arc;

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Response};

use crate::error::AppError;
use crate::grpc::tenancy::input::{app_id_in, app_in};
use crate::grpc::{Api, Caller, R, owned_actor, record};
use crate::repo::tenancy::AppKind;
use crate::repo::tenancy::apps::TenantApp;

/// ResolveTenantByAppId: public, for anonymous consumer calls.
#[tracing::instrument(skip_all, fields(app_id))]
pub(super) async fn resolve(
    api: &Api,
    request: Request<pb::ResolveTenantByAppIdRequest>,
) -> R<pb::ResolveTenantByAppIdResponse> {
    let app_id = app_id_in(&request.get_ref().app_id)?;
    record("app_id", &app_id);
    let resolved = api.app.resolve_app(&app_id).await?;
    Ok(Response::new(pb::ResolveTenantByAppIdResponse {
        tenant_id: resolved.tenant.id.to_string(),
        tenant_code: resolved.tenant.code.clone(),
        tenant_name: resolved.tenant.name.clone(),
        app_kind: app_kind(resolved.app.kind) as i32,
        privacy_policy_version: resolved.tenant.privacy_policy_version,
    }))
}

/// UpsertApp: secrets are write-only.
#[tracing::instrument(skip_all, fields(app_id))]
pub(super) async fn upsert(
    api: &Api,
    request: Request<pb::UpsertAppRequest>,
) -> R<pb::UpsertAppResponse> {
    let caller = Caller::of(&request)?;
    api.app.require_on_root(&caller.ctx).await?;
    let app = request.get_ref().app.as_ref();
    let new = app_in(
        app.ok_or_else(|| AppError::invalid("app", "is required"))?,
        "app",
    )?;
    record("app_id", &new.app_id);
    let (app, tenant, actor) = (Arc::clone(&api.app), caller.tenant(), owned_actor(&caller));
    api.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let (stored, created) = app
                    .upsert_app(txn, tenant, new, (&actor.0, &actor.1))
                    .await?;
                Ok(pb::UpsertAppResponse {
                    app: Some(app_view(&stored)),
                    created,
                })
            })
        })
        .await
}

/// RemoveApp (never the app the WeChat Pay configuration uses).
#[tracing::instrument(skip_all, fields(app_id))]
pub(super) async fn remove(
    api: &Api,
    request: Request<pb::RemoveAppRequest>,
) -> R<pb::RemoveAppResponse> {
    let caller = Caller::of(&request)?;
    api.app.require_on_root(&caller.ctx).await?;
    let app_id = app_id_in(&request.get_ref().app_id)?;
    record("app_id", &app_id);
    let (app, tenant, actor) = (Arc::clone(&api.app), caller.tenant(), owned_actor(&caller));
    api.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                app.remove_app(txn, tenant, &app_id, (&actor.0, &actor.1))
                    .await?;
                Ok(pb::RemoveAppResponse {})
            })
        })
        .await
}

/// The wire kind of an app kind.
pub(super) fn app_kind(kind: AppKind) -> pb::AppKind {
    match kind {
        AppKind::MiniProgram => pb::AppKind::MiniProgram,
        AppKind::OfficialAccount => pb::AppKind::OfficialAccount,
        AppKind::Wecom => pb::AppKind::Wecom,
        AppKind::H5 => pb::AppKind::H5,
    }
}

/// The wire form of an app: the secret only as `app_secret_set` and its last four characters.
pub(super) fn app_view(a: &TenantApp) -> pb::WeChatApp {
    pb::WeChatApp {
        app_id: a.app_id.clone(),
        kind: app_kind(a.kind) as i32,
        name: a.name.clone(),
        app_secret: String::new(),
        app_secret_set: a.secret_enc.is_some(),
        app_secret_last4: a.secret_last4.clone(),
        enabled: a.enabled,
        ..Default::default()
    }
}
