//! StaffService: DisableStaff, EnableStaff and UnlockStaff.

use std::sync::Arc;

use siyu_proto::identity::v1 as pb;
use tonic::Request;

use crate::grpc::staff::input::{id, reason};
use crate::grpc::staff::views::staff_view;
use crate::grpc::{Api, Caller, R, count, record};

/// DisableStaff: every session ends, guide codes retire.
#[tracing::instrument(skip_all, fields(staff_id))]
pub(super) async fn disable(
    api: &Api,
    request: Request<pb::DisableStaffRequest>,
) -> R<pb::DisableStaffResponse> {
    let caller = Caller::of(&request)?;
    let req = request.get_ref();
    let staff_id = id(&req.staff_id, "staff_id")?;
    record("staff_id", &staff_id);
    let why = reason(&req.reason, true)?;
    let (app, ctx) = (Arc::clone(&api.app), caller.ctx);
    api.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let (v, n) = app.disable_staff(txn, &ctx, &staff_id, &why).await?;
                Ok(pb::DisableStaffResponse {
                    staff: Some(staff_view(&v, &ctx)),
                    revoked_session_count: count(n),
                })
            })
        })
        .await
}

/// EnableStaff.
#[tracing::instrument(skip_all, fields(staff_id))]
pub(super) async fn enable(
    api: &Api,
    request: Request<pb::EnableStaffRequest>,
) -> R<pb::EnableStaffResponse> {
    let caller = Caller::of(&request)?;
    let req = request.get_ref();
    let staff_id = id(&req.staff_id, "staff_id")?;
    record("staff_id", &staff_id);
    let why = reason(&req.reason, false)?;
    let (app, ctx) = (Arc::clone(&api.app), caller.ctx);
    api.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let v = app
                    .enable_or_unlock_staff(txn, &ctx, &staff_id, false, &why)
                    .await?;
                Ok(pb::EnableStaffResponse {
                    staff: Some(staff_view(&v, &ctx)),
                })
            })
        })
        .await
}

/// UnlockStaff: the lockout ends and the failure counter resets.
#[tracing::instrument(skip_all, fields(staff_id))]
pub(super) async fn unlock(
    api: &Api,
    request: Request<pb::UnlockStaffRequest>,
) -> R<pb::UnlockStaffResponse> {
    let caller = Caller::of(&request)?;
    let staff_id = id(&request.get_ref().staff_id, "staff_id")?;
    record("staff_id", &staff_id);
    let (app, ctx) = (Arc::clone(&api.app), caller.ctx);
    api.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let v = app
                    .enable_or_unlock_staff(txn, &ctx, &staff_id, true, "")
                    .await?;
                Ok(pb::UnlockStaffResponse {
                    staff: Some(staff_view(&v, &ctx)),
                })
            })
        })
        .await
}
