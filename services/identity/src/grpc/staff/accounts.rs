//! StaffService: accounts — CreateStaff, GetStaff, GetCurrentStaff, ListStaff and UpdateStaff.

use std::sync::Arc;

use siyu_proto::identity::v1 as pb;
use siyu_server::Paging;
use tonic::{Request, Response};

use crate::grpc::staff::input::{id, new_staff_in, staff_edit_in, staff_filter_in};
use crate::grpc::staff::views::staff_view;
use crate::grpc::{Api, Caller, R, page, record};

/// The pages of ListStaff.
const STAFF: Paging = Paging::new("staff", 50, 200);

/// CreateStaff: a new account with its first grants (a store manager: guides of their store).
#[tracing::instrument(skip_all, fields(staff_id))]
pub(super) async fn create(
    api: &Api,
    request: Request<pb::CreateStaffRequest>,
) -> R<pb::CreateStaffResponse> {
    let caller = Caller::of(&request)?;
    let new = new_staff_in(request.get_ref())?;
    let (app, ctx) = (Arc::clone(&api.app), caller.ctx);
    let reply = api
        .mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let v = app
                    .create_staff(txn, &ctx, &new.login, new.fields, &new.password, new.roles)
                    .await?;
                Ok(pb::CreateStaffResponse {
                    staff: Some(staff_view(&v, &ctx)),
                })
            })
        })
        .await?;
    record(
        "staff_id",
        reply.get_ref().staff.as_ref().map_or("", |s| &s.staff_id),
    );
    Ok(reply)
}

/// GetStaff, for readers whose scope covers the account (and the staff themself).
#[tracing::instrument(skip_all, fields(staff_id))]
pub(super) async fn get(
    api: &Api,
    request: Request<pb::GetStaffRequest>,
) -> R<pb::GetStaffResponse> {
    let caller = Caller::of(&request)?;
    let staff_id = id(&request.get_ref().staff_id, "staff_id")?;
    record("staff_id", &staff_id);
    let v = api.app.staff_for(&caller.ctx, &staff_id).await?;
    Ok(Response::new(pb::GetStaffResponse {
        staff: Some(staff_view(&v, &caller.ctx)),
    }))
}

/// GetCurrentStaff: the caller's own account.
#[tracing::instrument(skip_all)]
pub(super) async fn current(
    api: &Api,
    request: Request<pb::GetCurrentStaffRequest>,
) -> R<pb::GetCurrentStaffResponse> {
    let caller = Caller::of(&request)?;
    let (v, tenant) = api.app.current_staff(&caller.ctx).await?;
    Ok(Response::new(pb::GetCurrentStaffResponse {
        staff: Some(staff_view(&v, &caller.ctx)),
        tenant_id: tenant.id.to_string(),
        tenant_name: tenant.name,
    }))
}

/// ListStaff: the accounts in the caller's scope.
#[tracing::instrument(skip_all)]
pub(super) async fn list(
    api: &Api,
    request: Request<pb::ListStaffRequest>,
) -> R<pb::ListStaffResponse> {
    let caller = Caller::of(&request)?;
    let req = request.get_ref();
    let filter = staff_filter_in(req)?;
    let rows = api.app.list_staff(&caller.ctx, &filter).await?;
    let (rows, page) = page(&STAFF, rows, req.page.as_ref())?;
    Ok(Response::new(pb::ListStaffResponse {
        staff: rows.iter().map(|v| staff_view(v, &caller.ctx)).collect(),
        page: Some(page),
    }))
}

/// UpdateStaff under an etag, by update mask (which fields a caller may change is the app's
/// rule).
#[tracing::instrument(skip_all, fields(staff_id))]
pub(super) async fn update(
    api: &Api,
    request: Request<pb::UpdateStaffRequest>,
) -> R<pb::UpdateStaffResponse> {
    let caller = Caller::of(&request)?;
    let edit = staff_edit_in(request.get_ref())?;
    record("staff_id", &edit.id);
    let (app, ctx) = (Arc::clone(&api.app), caller.ctx);
    api.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let v = app
                    .update_staff(txn, &ctx, &edit.id, &edit.etag, edit.fields)
                    .await?;
                Ok(pb::UpdateStaffResponse {
                    staff: Some(staff_view(&v, &ctx)),
                })
            })
        })
        .await
}
