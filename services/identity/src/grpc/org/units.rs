//! OrgService: changes of units — CreateOrgUnit, UpdateOrgUnit, MoveOrgUnit, DisableOrgUnit and
//! EnableOrgUnit.

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Status};

use crate::app::org::units::NewUnit;
use crate::error::AppError;
use crate::grpc::ids::id;
use crate::grpc::org::input::{check_code, check_name, patch_of, store_fields};
use crate::grpc::org::{kind_name, unit_view};
use crate::grpc::{Caller, OrgApi};

impl OrgApi {
    /// CreateOrgUnit.
    pub(super) async fn create_org_unit_rpc(
        &self,
        request: Request<pb::CreateOrgUnitRequest>,
    ) -> Result<pb::CreateOrgUnitResponse, Status> {
        let caller = Caller::of(&request)?;
        let req = request.get_ref();
        let kind = match kind_name(req.r#type) {
            Some(k @ ("REGION" | "STORE" | "DEPARTMENT")) => k,
            _ => {
                return Err(
                    AppError::invalid("type", "must be REGION, STORE or DEPARTMENT").into(),
                );
            }
        };
        let parent_id = id("parent_id", &req.parent_id)?.to_string();
        check_name(&req.name, "name")?;
        check_code(&req.code, "code")?;
        let store = match (kind, &req.store) {
            ("STORE", Some(p)) => Some(store_fields(p, "store")?),
            ("STORE", None) => {
                return Err(AppError::invalid("store", "is required for stores").into());
            }
            (_, Some(_)) => return Err(AppError::invalid("store", "only stores have one").into()),
            (_, None) => None,
        };
        let new = NewUnit {
            parent_id,
            kind: kind.to_owned(),
            name: req.name.trim().to_owned(),
            code: req.code.clone(),
            sort_order: req.sort_order,
            store,
        };
        let ctx = caller.ctx.clone();
        let reply = self
            .mutate(
                &request,
                &caller.tenant(),
                "CreateOrgUnit",
                move |app, txn| {
                    Box::pin(async move {
                        let unit = app.create_org_unit(txn, &ctx, new).await?;
                        Ok(pb::CreateOrgUnitResponse {
                            org_unit: Some(unit_view(&unit)),
                        })
                    })
                },
            )
            .await?;
        Ok(reply)
    }

    /// UpdateOrgUnit: a full edit by an editor, or a store manager's own store details.
    pub(super) async fn update_org_unit_rpc(
        &self,
        request: Request<pb::UpdateOrgUnitRequest>,
    ) -> Result<pb::UpdateOrgUnitResponse, Status> {
        let caller = Caller::of(&request)?;
        let req = request.get_ref();
        let unit = req
            .org_unit
            .as_ref()
            .ok_or_else(|| AppError::invalid("org_unit", "is required"))?;
        let unit_id = id("org_unit.org_unit_id", &unit.org_unit_id)?.to_string();
        if unit.etag.is_empty() {
            return Err(AppError::invalid("org_unit.etag", "is required").into());
        }
        let paths = req
            .update_mask
            .as_ref()
            .map(|m| m.paths.clone())
            .unwrap_or_default();
        if paths.is_empty() {
            return Err(AppError::invalid("update_mask", "is required").into());
        }
        if crate::app::org::own_store::only_store_details(&paths) {
            return self
                .update_own_store(&request, &caller, unit_id, paths)
                .await
                .map(tonic::Response::into_inner);
        }
        let ctx = caller.ctx.clone();
        let (id, etag) = (unit_id, unit.etag.clone());
        let unit = unit.clone();
        let reply = self
            .mutate(
                &request,
                &caller.tenant(),
                "UpdateOrgUnit",
                move |app, txn| {
                    Box::pin(async move {
                        // Access first: a caller who may not edit the unit learns
                        // PERMISSION_DENIED, not which of their values would be invalid.
                        app.require_org_editor(txn, &ctx, &id).await?;
                        let patch = patch_of(&unit, &paths)?;
                        let unit = app.update_org_unit(txn, &ctx, &id, &etag, patch).await?;
                        Ok(pb::UpdateOrgUnitResponse {
                            org_unit: Some(unit_view(&unit)),
                        })
                    })
                },
            )
            .await?;
        Ok(reply)
    }

    /// MoveOrgUnit (ORG_MOVE_CYCLE under the unit itself or its subtree).
    pub(super) async fn move_org_unit_rpc(
        &self,
        request: Request<pb::MoveOrgUnitRequest>,
    ) -> Result<pb::MoveOrgUnitResponse, Status> {
        let caller = Caller::of(&request)?;
        let req = request.get_ref().clone();
        let unit_id = id("org_unit_id", &req.org_unit_id)?.to_string();
        let parent_id = id("new_parent_id", &req.new_parent_id)?.to_string();
        let ctx = caller.ctx.clone();
        let reply = self
            .mutate(
                &request,
                &caller.tenant(),
                "MoveOrgUnit",
                move |app, txn| {
                    Box::pin(async move {
                        let unit = app
                            .move_org_unit(txn, &ctx, &unit_id, &parent_id, &req.reason)
                            .await?;
                        Ok(pb::MoveOrgUnitResponse {
                            org_unit: Some(unit_view(&unit)),
                        })
                    })
                },
            )
            .await?;
        Ok(reply)
    }

    /// DisableOrgUnit.
    pub(super) async fn disable_org_unit_rpc(
        &self,
        request: Request<pb::DisableOrgUnitRequest>,
    ) -> Result<pb::DisableOrgUnitResponse, Status> {
        let caller = Caller::of(&request)?;
        let req = request.get_ref().clone();
        let unit_id = id("org_unit_id", &req.org_unit_id)?.to_string();
        let ctx = caller.ctx.clone();
        let reply = self
            .mutate(
                &request,
                &caller.tenant(),
                "DisableOrgUnit",
                move |app, txn| {
                    Box::pin(async move {
                        let (unit, n) = app
                            .set_org_unit_status(txn, &ctx, &unit_id, false, req.cascade)
                            .await?;
                        Ok(pb::DisableOrgUnitResponse {
                            org_unit: Some(unit_view(&unit)),
                            disabled_count: i32::try_from(n).unwrap_or(i32::MAX),
                        })
                    })
                },
            )
            .await?;
        Ok(reply)
    }

    /// EnableOrgUnit.
    pub(super) async fn enable_org_unit_rpc(
        &self,
        request: Request<pb::EnableOrgUnitRequest>,
    ) -> Result<pb::EnableOrgUnitResponse, Status> {
        let caller = Caller::of(&request)?;
        let id = id("org_unit_id", &request.get_ref().org_unit_id)?.to_string();
        let ctx = caller.ctx.clone();
        let reply = self
            .mutate(
                &request,
                &caller.tenant(),
                "EnableOrgUnit",
                move |app, txn| {
                    Box::pin(async move {
                        let (unit, _) =
                            app.set_org_unit_status(txn, &ctx, &id, true, false).await?;
                        Ok(pb::EnableOrgUnitResponse {
                            org_unit: Some(unit_view(&unit)),
                        })
                    })
                },
            )
            .await?;
        Ok(reply)
    }
}
