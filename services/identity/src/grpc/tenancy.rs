//! TenantService: each RPC dispatches to the handler file of its concern — tenants, apps,
//! settings, the platform's tenant administration and WeChat Pay — and the wire form of a
//! tenant.

mod apps;
mod input;
mod pay_config;
mod platform_admin;
mod settings;
mod settings_mask;
mod tenants;

use siyu_proto::identity::v1 as pb;
use siyu_proto::time::timestamp;
use tonic::Request;

use crate::grpc::{R, TenantApi};
use crate::repo::tenancy::TenantStatus;
use crate::repo::tenancy::tenants::Tenant;

pub(super) fn tenant_view(t: &Tenant) -> pb::Tenant {
    pb::Tenant {
        tenant_id: t.id.to_string(),
        code: t.code.clone(),
        name: t.name.clone(),
        status: match t.status {
            TenantStatus::Active => pb::TenantStatus::Active,
            TenantStatus::Suspended => pb::TenantStatus::Suspended,
        } as i32,
        root_org_unit_id: t.root_org_id.clone(),
        create_time: Some(timestamp(t.created_at)),
        update_time: Some(timestamp(t.updated_at)),
    }
}

#[tonic::async_trait]
impl pb::tenant_service_server::TenantService for TenantApi {
    async fn create_tenant(
        &self,
        request: Request<pb::CreateTenantRequest>,
    ) -> R<pb::CreateTenantResponse> {
        tenants::create(self, request).await
    }

    async fn get_tenant(&self, request: Request<pb::GetTenantRequest>) -> R<pb::GetTenantResponse> {
        tenants::get(self, request).await
    }

    async fn list_tenants(
        &self,
        request: Request<pb::ListTenantsRequest>,
    ) -> R<pb::ListTenantsResponse> {
        platform_admin::list(self, request).await
    }

    async fn update_tenant(
        &self,
        request: Request<pb::UpdateTenantRequest>,
    ) -> R<pb::UpdateTenantResponse> {
        platform_admin::update(self, request).await
    }

    async fn resolve_tenant_by_app_id(
        &self,
        request: Request<pb::ResolveTenantByAppIdRequest>,
    ) -> R<pb::ResolveTenantByAppIdResponse> {
        apps::resolve(self, request).await
    }

    async fn get_tenant_settings(
        &self,
        request: Request<pb::GetTenantSettingsRequest>,
    ) -> R<pb::GetTenantSettingsResponse> {
        settings::get(self, request).await
    }

    async fn update_tenant_settings(
        &self,
        request: Request<pb::UpdateTenantSettingsRequest>,
    ) -> R<pb::UpdateTenantSettingsResponse> {
        settings::update(self, request).await
    }

    async fn upsert_app(&self, request: Request<pb::UpsertAppRequest>) -> R<pb::UpsertAppResponse> {
        apps::upsert(self, request).await
    }

    async fn remove_app(&self, request: Request<pb::RemoveAppRequest>) -> R<pb::RemoveAppResponse> {
        apps::remove(self, request).await
    }

    async fn set_we_chat_pay_config(
        &self,
        request: Request<pb::SetWeChatPayConfigRequest>,
    ) -> R<pb::SetWeChatPayConfigResponse> {
        pay_config::set(self, request).await
    }

    async fn get_app_credentials(
        &self,
        request: Request<pb::GetAppCredentialsRequest>,
    ) -> R<pb::GetAppCredentialsResponse> {
        pay_config::credentials(self, request).await
    }
}
