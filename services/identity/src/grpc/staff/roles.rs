//! StaffService: role grants — GrantRole, RevokeRole and ListRoleGrants.

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Status};

use crate::error::AppError;
use crate::grpc::paging::page;
use crate::grpc::staff::input::{id, opt_id, reason};
use crate::grpc::staff::views::{grant_view, role_name};
use crate::grpc::{Caller, StaffApi};

impl StaffApi {
    /// GrantRole.
    pub(super) async fn grant_role_rpc(
        &self,
        request: Request<pb::GrantRoleRequest>,
    ) -> Result<pb::GrantRoleResponse, Status> {
        let caller = Caller::of(&request)?;
        let req = request.get_ref();
        let staff_id = id(&req.staff_id, "staff_id")?;
        let unit = id(&req.org_unit_id, "org_unit_id")?;
        let role = role_name(req.role).ok_or_else(|| AppError::invalid("role", "is required"))?;
        let ctx = caller.ctx.clone();
        let reply = self
            .mutate(&request, &caller.tenant(), "GrantRole", move |app, txn| {
                Box::pin(async move {
                    let g = app.grant_role(txn, &ctx, &staff_id, &role, &unit).await?;
                    Ok(pb::GrantRoleResponse {
                        grant: Some(grant_view(&g)),
                    })
                })
            })
            .await?;
        Ok(reply)
    }

    /// RevokeRole.
    pub(super) async fn revoke_role_rpc(
        &self,
        request: Request<pb::RevokeRoleRequest>,
    ) -> Result<pb::RevokeRoleResponse, Status> {
        let caller = Caller::of(&request)?;
        let req = request.get_ref();
        let grant_id = id(&req.grant_id, "grant_id")?;
        let why = reason(&req.reason, false)?;
        let revoke_sessions = req.revoke_sessions;
        let ctx = caller.ctx.clone();
        let reply = self
            .mutate(&request, &caller.tenant(), "RevokeRole", move |app, txn| {
                Box::pin(async move {
                    app.revoke_role(txn, &ctx, &grant_id, revoke_sessions, &why)
                        .await?;
                    Ok(pb::RevokeRoleResponse {})
                })
            })
            .await?;
        Ok(reply)
    }

    /// ListRoleGrants.
    pub(super) async fn list_role_grants_rpc(
        &self,
        request: Request<pb::ListRoleGrantsRequest>,
    ) -> Result<pb::ListRoleGrantsResponse, Status> {
        let caller = Caller::of(&request)?;
        let req = request.get_ref();
        let role = match req.role {
            0 => None,
            r => {
                Some(role_name(r).ok_or_else(|| AppError::invalid("role", "is not a known role"))?)
            }
        };
        let grants = self
            .app
            .list_role_grants(
                &caller.ctx,
                &opt_id(&req.staff_id, "staff_id")?,
                role.as_deref(),
                &opt_id(&req.org_unit_id, "org_unit_id")?,
                req.include_ancestors,
            )
            .await?;
        let (grants, page) = page("role_grants", grants, req.page.as_ref(), 200)?;
        Ok(pb::ListRoleGrantsResponse {
            grants: grants.iter().map(grant_view).collect(),
            page: Some(page),
        })
    }
}
