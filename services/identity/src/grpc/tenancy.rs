//! TenantService: each RPC delegates to the handler file of its concern — tenants, apps,
//! settings, the platform's tenant administration and WeChat Pay — and the wire form of a
//! tenant.

mod apps;
mod pay_config;
mod platform_admin;
mod settings;
mod settings_mask;
mod tenants;

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};

use crate::grpc::TenantApi;
use crate::repo::tenancy::tenants::TenantRow;
use siyu_proto::time::timestamp;

pub(super) fn tenant_view(t: &TenantRow) -> pb::Tenant {
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

#[tonic::async_trait]
impl pb::tenant_service_server::TenantService for TenantApi {
    #[tracing::instrument(skip_all)]
    async fn create_tenant(
        &self,
        request: Request<pb::CreateTenantRequest>,
    ) -> Result<Response<pb::CreateTenantResponse>, Status> {
        self.create_tenant_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn get_tenant(
        &self,
        request: Request<pb::GetTenantRequest>,
    ) -> Result<Response<pb::GetTenantResponse>, Status> {
        self.get_tenant_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn resolve_tenant_by_app_id(
        &self,
        request: Request<pb::ResolveTenantByAppIdRequest>,
    ) -> Result<Response<pb::ResolveTenantByAppIdResponse>, Status> {
        self.resolve_tenant_by_app_id_rpc(request)
            .await
            .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn upsert_app(
        &self,
        request: Request<pb::UpsertAppRequest>,
    ) -> Result<Response<pb::UpsertAppResponse>, Status> {
        self.upsert_app_rpc(request).await.map(Response::new)
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
