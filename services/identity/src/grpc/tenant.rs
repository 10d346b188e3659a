//! TenantService handlers.

mod pay;
mod settings;
mod settings_mask;

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};

use crate::app::tenants::{NewApp, NewTenant};
use crate::error::AppError;
use crate::events::timestamp;
use crate::grpc::{TenantApi, owned_actor};
use crate::repo::tenants::{AppRow, TenantRow};

fn tenant_view(t: &TenantRow) -> pb::Tenant {
    pb::Tenant {
        tenant_id: t.id.clone(),
        code: t.code.clone(),
        name: t.name.clone(),
        status: if t.status == "ACTIVE" {
            pb::TenantStatus::Active
        } else {
            pb::TenantStatus::Suspended
        } as i32,
        root_org_unit_id: t.root_org_id.clone(),
        create_time: Some(timestamp(t.created_at)),
        update_time: Some(timestamp(t.updated_at)),
    }
}

fn app_kind(kind: &str) -> pb::AppKind {
    match kind {
        "MINI_PROGRAM" => pb::AppKind::MiniProgram,
        "OFFICIAL_ACCOUNT" => pb::AppKind::OfficialAccount,
        "WECOM" => pb::AppKind::Wecom,
        "H5" => pb::AppKind::H5,
        _ => pb::AppKind::Unspecified,
    }
}

fn app_view(a: &AppRow) -> pb::WeChatApp {
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
fn parse_app(app: &pb::WeChatApp, field: &str) -> Result<NewApp, AppError> {
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

#[tonic::async_trait]
impl pb::tenant_service_server::TenantService for TenantApi {
    #[tracing::instrument(skip_all)]
    async fn create_tenant(
        &self,
        request: Request<pb::CreateTenantRequest>,
    ) -> Result<Response<pb::CreateTenantResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        self.require_platform(&caller).await?;
        let req = request.get_ref();
        let code_ok = (2..=32).contains(&req.code.len())
            && req
                .code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !code_ok {
            return Err(AppError::invalid("code", "must be 2..32 of a-z, 0-9, '-'").into());
        }
        if req.name.trim().is_empty() || req.name.chars().count() > 64 {
            return Err(AppError::invalid("name", "must be 1..64 characters").into());
        }
        let login_ok = (3..=64).contains(&req.admin_login_name.len())
            && req.admin_login_name.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
            });
        if !login_ok {
            return Err(AppError::invalid(
                "admin_login_name",
                "must be 3..64 of a-z, 0-9, '.', '_', '-'",
            )
            .into());
        }
        let apps = req
            .apps
            .iter()
            .enumerate()
            .map(|(i, app)| parse_app(app, &format!("apps[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let new = NewTenant {
            code: req.code.clone(),
            name: req.name.clone(),
            apps,
            admin_login_name: req.admin_login_name.clone(),
            admin_display_name: req.admin_display_name.clone(),
            admin_password: req.admin_initial_password.clone(),
        };
        let actor = owned_actor(&caller);
        let reply = self
            .mutate(
                &request,
                &caller.tenant(),
                "CreateTenant",
                move |app, txn| {
                    Box::pin(async move {
                        let created = app
                            .create_tenant(txn, new, (&actor.0, &actor.1), false)
                            .await?;
                        Ok(pb::CreateTenantResponse {
                            tenant: Some(tenant_view(&created.tenant)),
                            admin_staff_id: created.admin_staff_id,
                        })
                    })
                },
            )
            .await?;
        Ok(Response::new(reply))
    }

    #[tracing::instrument(skip_all)]
    async fn get_tenant(
        &self,
        request: Request<pb::GetTenantRequest>,
    ) -> Result<Response<pb::GetTenantResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        let wanted = request.get_ref().tenant_id.clone();
        let own = wanted.is_empty() || wanted == caller.tenant();
        if own {
            self.require_root_role(&caller, &["tenant_admin"]).await?;
        } else {
            // Only the platform sees other tenants; anyone else learns nothing.
            if self.require_platform(&caller).await.is_err() {
                return Err(AppError::NotFound("TENANT_NOT_FOUND").into());
            }
        }
        let id = if own { caller.tenant() } else { wanted };
        let tenant = self.app.tenant(&id).await?;
        Ok(Response::new(pb::GetTenantResponse {
            tenant: Some(tenant_view(&tenant)),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn resolve_tenant_by_app_id(
        &self,
        request: Request<pb::ResolveTenantByAppIdRequest>,
    ) -> Result<Response<pb::ResolveTenantByAppIdResponse>, Status> {
        let app_id = &request.get_ref().app_id;
        if app_id.is_empty() || app_id.len() > 64 {
            return Err(AppError::invalid("app_id", "must be 1..64 characters").into());
        }
        let resolved = self.app.resolve_app(app_id).await?;
        Ok(Response::new(pb::ResolveTenantByAppIdResponse {
            tenant_id: resolved.tenant.id.clone(),
            tenant_code: resolved.tenant.code.clone(),
            tenant_name: resolved.tenant.name.clone(),
            app_kind: app_kind(&resolved.app.kind) as i32,
            privacy_policy_version: resolved.tenant.privacy_policy_version,
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn upsert_app(
        &self,
        request: Request<pb::UpsertAppRequest>,
    ) -> Result<Response<pb::UpsertAppResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        self.require_root_role(&caller, &["tenant_admin"]).await?;
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
        Ok(Response::new(reply))
    }
    #[tracing::instrument(skip_all)]
    async fn list_tenants(
        &self,
        request: Request<pb::ListTenantsRequest>,
    ) -> Result<Response<pb::ListTenantsResponse>, Status> {
        self.list(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn update_tenant(
        &self,
        request: Request<pb::UpdateTenantRequest>,
    ) -> Result<Response<pb::UpdateTenantResponse>, Status> {
        self.update(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn get_tenant_settings(
        &self,
        request: Request<pb::GetTenantSettingsRequest>,
    ) -> Result<Response<pb::GetTenantSettingsResponse>, Status> {
        self.get_settings(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn update_tenant_settings(
        &self,
        request: Request<pb::UpdateTenantSettingsRequest>,
    ) -> Result<Response<pb::UpdateTenantSettingsResponse>, Status> {
        self.update_settings(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn remove_app(
        &self,
        request: Request<pb::RemoveAppRequest>,
    ) -> Result<Response<pb::RemoveAppResponse>, Status> {
        self.remove(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn set_we_chat_pay_config(
        &self,
        request: Request<pb::SetWeChatPayConfigRequest>,
    ) -> Result<Response<pb::SetWeChatPayConfigResponse>, Status> {
        self.set_pay(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn get_app_credentials(
        &self,
        request: Request<pb::GetAppCredentialsRequest>,
    ) -> Result<Response<pb::GetAppCredentialsResponse>, Status> {
        self.credentials(request).await.map(Response::new)
    }
}
