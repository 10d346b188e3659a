//! OrgService reads: GetOrgUnit, BatchGetOrgUnits, ListOrgChildren, GetOrgSubtree and
//! GetOrgPath.

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Status};

use crate::error::AppError;
use crate::grpc::ids::{id, opt_id};
use crate::grpc::org::{kind_name, unit_view};
use crate::grpc::paging::page;
use crate::grpc::{Caller, OrgApi};

impl OrgApi {
    /// GetOrgUnit.
    pub(super) async fn get_org_unit_rpc(
        &self,
        request: Request<pb::GetOrgUnitRequest>,
    ) -> Result<pb::GetOrgUnitResponse, Status> {
        let caller = Caller::of(&request)?;
        let unit = self
            .app
            .get_org_unit(
                &caller.ctx,
                &id("org_unit_id", &request.get_ref().org_unit_id)?.to_string(),
            )
            .await?;
        Ok(pb::GetOrgUnitResponse {
            org_unit: Some(unit_view(&unit)),
        })
    }

    /// BatchGetOrgUnits: the units the caller may see, in request order.
    pub(super) async fn batch_get_org_units_rpc(
        &self,
        request: Request<pb::BatchGetOrgUnitsRequest>,
    ) -> Result<pb::BatchGetOrgUnitsResponse, Status> {
        let caller = Caller::of(&request)?;
        let ids = &request.get_ref().org_unit_ids;
        if ids.is_empty() || ids.len() > 200 {
            return Err(AppError::invalid("org_unit_ids", "must hold 1..200 ids").into());
        }
        let ids: Vec<String> = crate::grpc::ids::ids("org_unit_ids", ids)?
            .iter()
            .map(ToString::to_string)
            .collect();
        let units = self.app.batch_get_org_units(&caller.ctx, &ids).await?;
        Ok(pb::BatchGetOrgUnitsResponse {
            org_units: units.iter().map(unit_view).collect(),
        })
    }

    /// ListOrgChildren.
    pub(super) async fn list_org_children_rpc(
        &self,
        request: Request<pb::ListOrgChildrenRequest>,
    ) -> Result<pb::ListOrgChildrenResponse, Status> {
        let caller = Caller::of(&request)?;
        let req = request.get_ref();
        let rows = self
            .app
            .org_children(
                &caller.ctx,
                &opt_id("parent_id", &req.parent_id)?
                    .map(|id| id.to_string())
                    .unwrap_or_default(),
                req.include_disabled,
            )
            .await?;
        let (rows, page) = page("org_children", rows, req.page.as_ref(), 200)?;
        Ok(pb::ListOrgChildrenResponse {
            org_units: rows.iter().map(unit_view).collect(),
            page: Some(page),
        })
    }

    /// GetOrgSubtree, depth-first.
    pub(super) async fn get_org_subtree_rpc(
        &self,
        request: Request<pb::GetOrgSubtreeRequest>,
    ) -> Result<pb::GetOrgSubtreeResponse, Status> {
        let caller = Caller::of(&request)?;
        let req = request.get_ref();
        let kinds = req
            .types
            .iter()
            .map(|t| {
                kind_name(*t)
                    .map(str::to_owned)
                    .ok_or_else(|| AppError::invalid("types", "has an unknown type"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if req.max_depth < 0 {
            return Err(AppError::invalid("max_depth", "must not be negative").into());
        }
        let rows = self
            .app
            .org_subtree(
                &caller.ctx,
                &opt_id("org_unit_id", &req.org_unit_id)?
                    .map(|id| id.to_string())
                    .unwrap_or_default(),
                req.max_depth,
                &kinds,
                req.include_disabled,
            )
            .await?;
        let (rows, page) = page("org_subtree", rows, req.page.as_ref(), 1000)?;
        Ok(pb::GetOrgSubtreeResponse {
            org_units: rows.iter().map(unit_view).collect(),
            page: Some(page),
        })
    }

    /// GetOrgPath: root first.
    pub(super) async fn get_org_path_rpc(
        &self,
        request: Request<pb::GetOrgPathRequest>,
    ) -> Result<pb::GetOrgPathResponse, Status> {
        let caller = Caller::of(&request)?;
        let unit = id("org_unit_id", &request.get_ref().org_unit_id)?.to_string();
        let path = self.app.org_path(&caller.ctx, &unit).await?;
        Ok(pb::GetOrgPathResponse {
            path: path.iter().map(unit_view).collect(),
        })
    }
}
