//! OrgService reads: GetOrgUnit, BatchGetOrgUnits, ListOrgChildren, GetOrgSubtree and
//! GetOrgPath (tree reads page by offset over the loaded subtree).

use siyu_proto::identity::v1 as pb;
use siyu_server::Paging;
use tonic::{Request, Response};

use crate::error::AppError;
use crate::grpc::ids::{id, ids, opt_id};
use crate::grpc::org::{kind_name, unit_view};
use crate::grpc::{Api, Caller, R, page, record};
use crate::repo::org::OrgUnitType;

/// The pages of ListOrgChildren.
const CHILDREN: Paging = Paging::new("org_children", 50, 200);
/// The pages of GetOrgSubtree.
const SUBTREE: Paging = Paging::new("org_subtree", 50, 1000);

/// GetOrgUnit.
#[tracing::instrument(skip_all, fields(org_unit_id))]
pub(super) async fn get(
    api: &Api,
    request: Request<pb::GetOrgUnitRequest>,
) -> R<pb::GetOrgUnitResponse> {
    let caller = Caller::of(&request)?;
    let unit_id = id("org_unit_id", &request.get_ref().org_unit_id)?;
    record("org_unit_id", unit_id);
    let unit = api
        .app
        .get_org_unit(&caller.ctx, &unit_id.to_string())
        .await?;
    Ok(Response::new(pb::GetOrgUnitResponse {
        org_unit: Some(unit_view(&unit)),
    }))
}

/// BatchGetOrgUnits: the units the caller may see, in request order.
#[tracing::instrument(skip_all)]
pub(super) async fn batch_get(
    api: &Api,
    request: Request<pb::BatchGetOrgUnitsRequest>,
) -> R<pb::BatchGetOrgUnitsResponse> {
    let caller = Caller::of(&request)?;
    let named = &request.get_ref().org_unit_ids;
    if named.is_empty() || named.len() > 200 {
        return Err(AppError::invalid("org_unit_ids", "must hold 1..200 ids").into());
    }
    let unit_ids: Vec<String> = ids("org_unit_ids", named)?
        .iter()
        .map(ToString::to_string)
        .collect();
    let units = api.app.batch_get_org_units(&caller.ctx, &unit_ids).await?;
    Ok(Response::new(pb::BatchGetOrgUnitsResponse {
        org_units: units.iter().map(unit_view).collect(),
    }))
}

/// ListOrgChildren of a unit (the root when none is named).
#[tracing::instrument(skip_all, fields(parent_id))]
pub(super) async fn children(
    api: &Api,
    request: Request<pb::ListOrgChildrenRequest>,
) -> R<pb::ListOrgChildrenResponse> {
    let caller = Caller::of(&request)?;
    let req = request.get_ref();
    let parent = opt_text_id("parent_id", &req.parent_id)?;
    record("parent_id", &parent);
    let rows = api
        .app
        .org_children(&caller.ctx, &parent, req.include_disabled)
        .await?;
    let (rows, page) = page(&CHILDREN, rows, req.page.as_ref())?;
    Ok(Response::new(pb::ListOrgChildrenResponse {
        org_units: rows.iter().map(unit_view).collect(),
        page: Some(page),
    }))
}

/// GetOrgSubtree, depth-first (the root's when no unit is named).
#[tracing::instrument(skip_all, fields(org_unit_id))]
pub(super) async fn subtree(
    api: &Api,
    request: Request<pb::GetOrgSubtreeRequest>,
) -> R<pb::GetOrgSubtreeResponse> {
    let caller = Caller::of(&request)?;
    let req = request.get_ref();
    let unit = opt_text_id("org_unit_id", &req.org_unit_id)?;
    record("org_unit_id", &unit);
    let kinds = kinds_in(req)?;
    let rows = api
        .app
        .org_subtree(
            &caller.ctx,
            &unit,
            req.max_depth,
            &kinds,
            req.include_disabled,
        )
        .await?;
    let (rows, page) = page(&SUBTREE, rows, req.page.as_ref())?;
    Ok(Response::new(pb::GetOrgSubtreeResponse {
        org_units: rows.iter().map(unit_view).collect(),
        page: Some(page),
    }))
}

/// GetOrgPath: root first.
#[tracing::instrument(skip_all, fields(org_unit_id))]
pub(super) async fn path(
    api: &Api,
    request: Request<pb::GetOrgPathRequest>,
) -> R<pb::GetOrgPathResponse> {
    let caller = Caller::of(&request)?;
    let unit_id = id("org_unit_id", &request.get_ref().org_unit_id)?;
    record("org_unit_id", unit_id);
    let path = api.app.org_path(&caller.ctx, &unit_id.to_string()).await?;
    Ok(Response::new(pb::GetOrgPathResponse {
        path: path.iter().map(unit_view).collect(),
    }))
}

/// The unit types a GetOrgSubtree keeps (none: all), checking its depth too.
fn kinds_in(req: &pb::GetOrgSubtreeRequest) -> Result<Vec<OrgUnitType>, AppError> {
    if req.max_depth < 0 {
        return Err(AppError::invalid("max_depth", "must not be negative"));
    }
    req.types
        .iter()
        .map(|t| kind_name(*t).ok_or_else(|| AppError::invalid("types", "has an unknown type")))
        .collect()
}

/// An optional unit id as the app takes it ('' = the root).
fn opt_text_id(field: &str, value: &str) -> Result<String, AppError> {
    Ok(opt_id(field, value)?
        .map(|id| id.to_string())
        .unwrap_or_default())
}
