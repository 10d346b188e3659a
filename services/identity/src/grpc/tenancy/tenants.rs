//! TenantService: CreateTenant and GetTenant.

use std::sync::Arc;

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Response};

use crate::grpc::ids::opt_tenant_id;
use crate::grpc::tenancy::input::new_tenant_in;
use crate::grpc::tenancy::tenant_view;
use crate::grpc::{Api, Caller, R, owned_actor, record};

/// CreateTenant (platform only): the tenant, its HQ unit, apps and first tenant_admin.
#[tracing::instrument(skip_all, fields(tenant_id))]
pub(super) async fn create(
    api: &Api,
    request: Request<pb::CreateTenantRequest>,
) -> R<pb::CreateTenantResponse> {
    let caller = Caller::of(&request)?;
    api.app.require_platform(&caller.ctx).await?;
    let new = new_tenant_in(request.get_ref())?;
    let (app, actor) = (Arc::clone(&api.app), owned_actor(&caller));
    let reply = api
        .mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let created = app
                    .create_tenant(txn, new, (&actor.0, &actor.1), false)
                    .await?;
                Ok(pb::CreateTenantResponse {
                    tenant: Some(tenant_view(&created.tenant)),
                    admin_staff_id: created.admin_staff_id,
                })
            })
        })
        .await?;
    record(
        "tenant_id",
        reply.get_ref().tenant.as_ref().map_or("", |t| &t.tenant_id),
    );
    Ok(reply)
}

/// GetTenant: the caller's own, or — the platform — any.
#[tracing::instrument(skip_all, fields(tenant_id))]
pub(super) async fn get(
    api: &Api,
    request: Request<pb::GetTenantRequest>,
) -> R<pb::GetTenantResponse> {
    let caller = Caller::of(&request)?;
    let wanted = opt_tenant_id("tenant_id", &request.get_ref().tenant_id)?;
    let id = api.app.tenant_in_reach(&caller.ctx, wanted).await?;
    record("tenant_id", id);
    let tenant = api.app.tenant(id).await?;
    Ok(Response::new(pb::GetTenantResponse {
        tenant: Some(tenant_view(&tenant)),
    }))
}
