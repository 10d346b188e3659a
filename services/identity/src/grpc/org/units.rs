//! OrgService: changes of units — CreateOrgUnit, UpdateOrgUnit, MoveOrgUnit, DisableOrgUnit and
//! EnableOrgUnit.

use std::sync::Arc;

use siyu_proto::identity::v1 as pb;
use tonic::Request;

use crate::app::org::own_store::only_store_details;
use crate::grpc::ids::id;
use crate::grpc::org::input::{edit_in, new_unit_in, patch_of};
use crate::grpc::org::{own_store, unit_view};
use crate::grpc::{Api, Caller, R, count, record};

/// CreateOrgUnit under a parent the caller administers.
#[tracing::instrument(skip_all, fields(parent_id))]
pub(super) async fn create(
    api: &Api,
    request: Request<pb::CreateOrgUnitRequest>,
) -> R<pb::CreateOrgUnitResponse> {
    let caller = Caller::of(&request)?;
    let new = new_unit_in(request.get_ref())?;
    record("parent_id", &new.parent_id);
    let (app, ctx) = (Arc::clone(&api.app), caller.ctx);
    api.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let unit = app.create_org_unit(txn, &ctx, new).await?;
                Ok(pb::CreateOrgUnitResponse {
                    org_unit: Some(unit_view(&unit)),
                })
            })
        })
        .await
}

/// UpdateOrgUnit: a full edit, or only a store's own details (what a store manager may do).
#[tracing::instrument(skip_all, fields(org_unit_id))]
pub(super) async fn update(
    api: &Api,
    request: Request<pb::UpdateOrgUnitRequest>,
) -> R<pb::UpdateOrgUnitResponse> {
    let caller = Caller::of(&request)?;
    let edit = edit_in(request.get_ref())?;
    record("org_unit_id", &edit.id);
    if only_store_details(&edit.paths) {
        return own_store::update(api, &request, caller, edit).await;
    }
    let (app, ctx) = (Arc::clone(&api.app), caller.ctx);
    api.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                // Access first: a caller who may not edit the unit learns PERMISSION_DENIED,
                // not which of their values would be invalid.
                app.require_org_editor(txn, &ctx, &edit.id).await?;
                let patch = patch_of(&edit.unit, &edit.paths)?;
                let unit = app
                    .update_org_unit(txn, &ctx, &edit.id, &edit.etag, patch)
                    .await?;
                Ok(pb::UpdateOrgUnitResponse {
                    org_unit: Some(unit_view(&unit)),
                })
            })
        })
        .await
}

/// MoveOrgUnit (ORG_MOVE_CYCLE under the unit itself or its subtree).
#[tracing::instrument(skip_all, fields(org_unit_id, new_parent_id))]
pub(super) async fn move_unit(
    api: &Api,
    request: Request<pb::MoveOrgUnitRequest>,
) -> R<pb::MoveOrgUnitResponse> {
    let caller = Caller::of(&request)?;
    let req = request.get_ref();
    let unit_id = id("org_unit_id", &req.org_unit_id)?.to_string();
    let parent_id = id("new_parent_id", &req.new_parent_id)?.to_string();
    record("org_unit_id", &unit_id);
    record("new_parent_id", &parent_id);
    let (app, ctx, reason) = (Arc::clone(&api.app), caller.ctx, req.reason.clone());
    api.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let unit = app
                    .move_org_unit(txn, &ctx, &unit_id, &parent_id, &reason)
                    .await?;
                Ok(pb::MoveOrgUnitResponse {
                    org_unit: Some(unit_view(&unit)),
                })
            })
        })
        .await
}

/// DisableOrgUnit, with its subtree when `cascade`.
#[tracing::instrument(skip_all, fields(org_unit_id))]
pub(super) async fn disable(
    api: &Api,
    request: Request<pb::DisableOrgUnitRequest>,
) -> R<pb::DisableOrgUnitResponse> {
    let caller = Caller::of(&request)?;
    let unit_id = id("org_unit_id", &request.get_ref().org_unit_id)?.to_string();
    record("org_unit_id", &unit_id);
    let (app, ctx, cascade) = (Arc::clone(&api.app), caller.ctx, request.get_ref().cascade);
    api.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let (unit, n) = app
                    .set_org_unit_status(txn, &ctx, &unit_id, false, cascade)
                    .await?;
                Ok(pb::DisableOrgUnitResponse {
                    org_unit: Some(unit_view(&unit)),
                    disabled_count: count(n),
                })
            })
        })
        .await
}

/// EnableOrgUnit (under an active parent).
#[tracing::instrument(skip_all, fields(org_unit_id))]
pub(super) async fn enable(
    api: &Api,
    request: Request<pb::EnableOrgUnitRequest>,
) -> R<pb::EnableOrgUnitResponse> {
    let caller = Caller::of(&request)?;
    let unit_id = id("org_unit_id", &request.get_ref().org_unit_id)?.to_string();
    record("org_unit_id", &unit_id);
    let (app, ctx) = (Arc::clone(&api.app), caller.ctx);
    api.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let (unit, _) = app
                    .set_org_unit_status(txn, &ctx, &unit_id, true, false)
                    .await?;
                Ok(pb::EnableOrgUnitResponse {
                    org_unit: Some(unit_view(&unit)),
                })
            })
        })
        .await
}
