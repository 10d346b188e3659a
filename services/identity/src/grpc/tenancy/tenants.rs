//! TenantService: CreateTenant and GetTenant.

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Status};

use crate::app::tenancy::tenants::NewTenant;
use crate::error::AppError;
use crate::grpc::ids::opt_tenant_id;
use crate::grpc::tenancy::apps::parse_app;
use crate::grpc::tenancy::tenant_view;
use crate::grpc::{Caller, TenantApi, owned_actor};

impl TenantApi {
    /// CreateTenant (platform only): the tenant, its HQ unit, apps and first tenant_admin.
    pub(super) async fn create_tenant_rpc(
        &self,
        request: Request<pb::CreateTenantRequest>,
    ) -> Result<pb::CreateTenantResponse, Status> {
        let caller = Caller::of(&request)?;
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
        Ok(reply)
    }

    /// GetTenant.
    pub(super) async fn get_tenant_rpc(
        &self,
        request: Request<pb::GetTenantRequest>,
    ) -> Result<pb::GetTenantResponse, Status> {
        let caller = Caller::of(&request)?;
        let wanted = opt_tenant_id("tenant_id", &request.get_ref().tenant_id)?
            .map(|t| t.to_string())
            .unwrap_or_default();
        let own = wanted.is_empty() || wanted == caller.tenant();
        if own {
            self.require_root_role(&caller).await?;
        } else {
            // Only the platform sees other tenants; anyone else learns nothing.
            if self.require_platform(&caller).await.is_err() {
                return Err(AppError::NotFound("TENANT_NOT_FOUND").into());
            }
        }
        let id = if own { caller.tenant() } else { wanted };
        let tenant = self.app.tenant(&id).await?;
        Ok(pb::GetTenantResponse {
            tenant: Some(tenant_view(&tenant)),
        })
    }
}
