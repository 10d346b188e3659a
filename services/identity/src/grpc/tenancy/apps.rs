//! TenantService: the WeChat apps of a tenant — UpsertApp, RemoveApp — and
//! ResolveTenantByAppId, with the wire form of an app (never its secret).

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Status};

use crate::app::tenancy::apps::NewApp;
use crate::error::AppError;
use crate::grpc::{Caller, TenantApi, owned_actor};
use crate::repo::tenancy::apps::AppRow;

impl TenantApi {
    /// ResolveTenantByAppId: public, for anonymous consumer calls.
    pub(super) async fn resolve_tenant_by_app_id_rpc(
        &self,
        request: Request<pb::ResolveTenantByAppIdRequest>,
    ) -> Result<pb::ResolveTenantByAppIdResponse, Status> {
        let app_id = &request.get_ref().app_id;
        if app_id.is_empty() || app_id.len() > 64 {
            return Err(AppError::invalid("app_id", "must be 1..64 characters").into());
        }
        let resolved = self.app.resolve_app(app_id).await?;
        Ok(pb::ResolveTenantByAppIdResponse {
            tenant_id: resolved.tenant.id.clone(),
            tenant_code: resolved.tenant.code.clone(),
            tenant_name: resolved.tenant.name.clone(),
            app_kind: app_kind(&resolved.app.kind) as i32,
            privacy_policy_version: resolved.tenant.privacy_policy_version,
        })
    }

    /// UpsertApp: secrets are write-only.
    pub(super) async fn upsert_app_rpc(
        &self,
        request: Request<pb::UpsertAppRequest>,
    ) -> Result<pb::UpsertAppResponse, Status> {
        let caller = Caller::of(&request)?;
        self.require_root_role(&caller).await?;
        let app = request
            .get_ref()
            .app
            .as_ref()
            .ok_or_else(|| AppError::invalid("app", "is required"))?;
        let app = parse_app(app, "app")?;
        let tenant = caller.tenant();
        let actor = owned_actor(&caller);
        let reply = self
            .mutate(
                &request,
                &tenant.clone(),
                "UpsertApp",
                move |app_ctx, txn| {
                    Box::pin(async move {
                        let (stored, created) = app_ctx
                            .upsert_app(txn, &tenant, app, (&actor.0, &actor.1))
                            .await?;
                        Ok(pb::UpsertAppResponse {
                            app: Some(app_view(&stored)),
                            created,
                        })
                    })
                },
            )
            .await?;
        Ok(reply)
    }

    /// RemoveApp.
    pub(super) async fn remove(
        &self,
        request: Request<pb::RemoveAppRequest>,
    ) -> Result<pb::RemoveAppResponse, Status> {
        let caller = Caller::of(&request)?;
        self.require_root_role(&caller).await?;
        let app_id = request.get_ref().app_id.clone();
        if app_id.is_empty() || app_id.len() > 64 {
            return Err(AppError::invalid("app_id", "must be 1..64 characters").into());
        }
        let tenant = caller.tenant();
        let actor = owned_actor(&caller);
        self.mutate(&request, &tenant.clone(), "RemoveApp", move |app, txn| {
            Box::pin(async move {
                app.remove_app(txn, &tenant, &app_id, (&actor.0, &actor.1))
                    .await?;
                Ok(pb::RemoveAppResponse {})
            })
        })
        .await
    }
}

pub(super) fn app_kind(kind: &str) -> pb::AppKind {
    match kind {
        "MINI_PROGRAM" => pb::AppKind::MiniProgram,
        "OFFICIAL_ACCOUNT" => pb::AppKind::OfficialAccount,
        "WECOM" => pb::AppKind::Wecom,
        "H5" => pb::AppKind::H5,
        _ => pb::AppKind::Unspecified,
    }
}

pub(super) fn app_view(a: &AppRow) -> pb::WeChatApp {
    pb::WeChatApp {
        app_id: a.app_id.clone(),
        kind: app_kind(&a.kind) as i32,
        name: a.name.clone(),
        app_secret: String::new(),
        app_secret_set: a.secret_enc.is_some(),
        app_secret_last4: a.secret_last4.clone(),
        enabled: a.enabled,
        ..Default::default()
    }
}

/// Parses a WeChatApp of a request; `field` prefixes violations.
pub(super) fn parse_app(app: &pb::WeChatApp, field: &str) -> Result<NewApp, AppError> {
    let kind = match pb::AppKind::try_from(app.kind).unwrap_or(pb::AppKind::Unspecified) {
        pb::AppKind::MiniProgram => "MINI_PROGRAM",
        pb::AppKind::OfficialAccount => "OFFICIAL_ACCOUNT",
        pb::AppKind::Wecom => "WECOM",
        pb::AppKind::H5 => "H5",
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
        kind: kind.to_owned(),
        name: app.name.clone(),
        secret: app.app_secret.clone(),
        enabled: app.enabled,
    })
}
