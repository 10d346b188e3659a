//! StaffService: role grants — GrantRole, RevokeRole and ListRoleGrants.

use std::sync::Arc;

use siyu_proto::identity::v1 as pb;
use siyu_server::Paging;
use tonic::{Request, Response};

use crate::error::AppError;
use crate::grpc::staff::input::{id, opt_id, reason, role_filter};
use crate::grpc::staff::views::{grant_view, role_name};
use crate::grpc::{Api, Caller, R, page, record};

/// The pages of ListRoleGrants.
const GRANTS: Paging = Paging::new("role_grants", 50, 200);

/// GrantRole (an existing identical grant is answered).
#[tracing::instrument(skip_all, fields(staff_id, org_unit_id))]
pub(super) async fn grant(
    api: &Api,
    request: Request<pb::GrantRoleRequest>,
) -> R<pb::GrantRoleResponse> {
    let caller = Caller::of(&request)?;
    let req = request.get_ref();
    let staff_id = id(&req.staff_id, "staff_id")?;
    let unit = id(&req.org_unit_id, "org_unit_id")?;
    record("staff_id", &staff_id);
    record("org_unit_id", &unit);
    let role = role_name(req.role).ok_or_else(|| AppError::invalid("role", "is required"))?;
    let (app, ctx) = (Arc::clone(&api.app), caller.ctx);
    api.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let g = app.grant_role(txn, &ctx, &staff_id, &role, &unit).await?;
                Ok(pb::GrantRoleResponse {
                    grant: Some(grant_view(&g)),
                })
            })
        })
        .await
}

/// RevokeRole (revoking a revoked grant succeeds).
#[tracing::instrument(skip_all, fields(grant_id))]
pub(super) async fn revoke(
    api: &Api,
    request: Request<pb::RevokeRoleRequest>,
) -> R<pb::RevokeRoleResponse> {
    let caller = Caller::of(&request)?;
    let req = request.get_ref();
    let grant_id = id(&req.grant_id, "grant_id")?;
    record("grant_id", &grant_id);
    let why = reason(&req.reason, false)?;
    let (app, ctx, revoke_sessions) = (Arc::clone(&api.app), caller.ctx, req.revoke_sessions);
    api.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                app.revoke_role(txn, &ctx, &grant_id, revoke_sessions, &why)
                    .await?;
                Ok(pb::RevokeRoleResponse {})
            })
        })
        .await
}

/// ListRoleGrants in the caller's scope, by staff, role or unit.
#[tracing::instrument(skip_all)]
pub(super) async fn list(
    api: &Api,
    request: Request<pb::ListRoleGrantsRequest>,
) -> R<pb::ListRoleGrantsResponse> {
    let caller = Caller::of(&request)?;
    let req = request.get_ref();
    let role = role_filter(req.role)?;
    let (staff_id, unit) = (
        opt_id(&req.staff_id, "staff_id")?,
        opt_id(&req.org_unit_id, "org_unit_id")?,
    );
    let grants = api
        .app
        .list_role_grants(
            &caller.ctx,
            &staff_id,
            role.as_deref(),
            &unit,
            req.include_ancestors,
        )
        .await?;
    let (grants, page) = page(&GRANTS, grants, req.page.as_ref())?;
    Ok(Response::new(pb::ListRoleGrantsResponse {
        grants: grants.iter().map(grant_view).collect(),
        page: Some(page),
    }))
}
