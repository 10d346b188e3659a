//! TenantService: the platform's ListTenants and UpdateTenant (rename, suspend, reactivate).

use std::sync::Arc;

use siyu_proto::identity::v1 as pb;
use siyu_server::Paging;
use tonic::{Request, Response};

use crate::error::AppError;
use crate::grpc::ids::tenant_id;
use crate::grpc::tenancy::input::tenant_change_in;
use crate::grpc::tenancy::tenant_view;
use crate::grpc::{Api, Caller, R, owned_actor, page, record};
use crate::repo::tenancy::TenantStatus;

/// The pages of ListTenants.
const TENANTS: Paging = Paging::new("tenants", 50, 200);

/// ListTenants (platform), by status and a code or name fragment.
#[tracing::instrument(skip_all)]
pub(super) async fn list(
    api: &Api,
    request: Request<pb::ListTenantsRequest>,
) -> R<pb::ListTenantsResponse> {
    let caller = Caller::of(&request)?;
    api.app.require_platform(&caller.ctx).await?;
    let req = request.get_ref();
    let status = match pb::TenantStatus::try_from(req.status) {
        Ok(pb::TenantStatus::Unspecified) => None,
        Ok(pb::TenantStatus::Active) => Some(TenantStatus::Active),
        Ok(pb::TenantStatus::Suspended) => Some(TenantStatus::Suspended),
        Err(_) => return Err(AppError::invalid("status", "is not a tenant status").into()),
    };
    if req.query.chars().count() > 64 {
        return Err(AppError::invalid("query", "must be at most 64 characters").into());
    }
    let query = req.query.to_lowercase();
    let rows: Vec<_> = api
        .app
        .list_tenants()
        .await?
        .into_iter()
        .filter(|t| status.is_none_or(|s| t.status == s))
        .filter(|t| {
            query.is_empty()
                || t.code.to_lowercase().contains(&query)
                || t.name.to_lowercase().contains(&query)
        })
        .collect();
    let (rows, page) = page(&TENANTS, rows, req.page.as_ref())?;
    Ok(Response::new(pb::ListTenantsResponse {
        tenants: rows.iter().map(tenant_view).collect(),
        page: Some(page),
    }))
}

/// UpdateTenant (platform): name and status. Stored under the platform tenant, the caller's
/// own idempotency scope.
#[tracing::instrument(skip_all, fields(tenant_id))]
pub(super) async fn update(
    api: &Api,
    request: Request<pb::UpdateTenantRequest>,
) -> R<pb::UpdateTenantResponse> {
    let caller = Caller::of(&request)?;
    api.app.require_platform(&caller.ctx).await?;
    let req = request.get_ref();
    let t = req
        .tenant
        .as_ref()
        .ok_or_else(|| AppError::invalid("tenant", "is required"))?;
    let id = tenant_id("tenant.tenant_id", &t.tenant_id)?;
    record("tenant_id", id);
    let change = tenant_change_in(req, t)?;
    let (app, actor) = (Arc::clone(&api.app), owned_actor(&caller));
    api.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let updated = app
                    .update_tenant(txn, id, change, (&actor.0, &actor.1))
                    .await?;
                Ok(pb::UpdateTenantResponse {
                    tenant: Some(tenant_view(&updated)),
                })
            })
        })
        .await
}
