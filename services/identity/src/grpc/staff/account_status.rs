//! StaffService: DisableStaff, EnableStaff and UnlockStaff.

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Status};

use crate::grpc::staff::input::{id, reason};
use crate::grpc::staff::views::staff_view;
use crate::grpc::{Caller, StaffApi};

impl StaffApi {
    /// DisableStaff.
    pub(super) async fn disable_staff_rpc(
        &self,
        request: Request<pb::DisableStaffRequest>,
    ) -> Result<pb::DisableStaffResponse, Status> {
        let caller = Caller::of(&request)?;
        let req = request.get_ref();
        let staff_id = id(&req.staff_id, "staff_id")?;
        let why = reason(&req.reason, true)?;
        let ctx = caller.ctx.clone();
        let reply = self
            .mutate(
                &request,
                &caller.tenant(),
                "DisableStaff",
                move |app, txn| {
                    Box::pin(async move {
                        let (v, n) = app.disable_staff(txn, &ctx, &staff_id, &why).await?;
                        Ok(pb::DisableStaffResponse {
                            staff: Some(staff_view(&v, &ctx)),
                            revoked_session_count: i32::try_from(n).unwrap_or(i32::MAX),
                        })
                    })
                },
            )
            .await?;
        Ok(reply)
    }

    /// EnableStaff.
    pub(super) async fn enable_staff_rpc(
        &self,
        request: Request<pb::EnableStaffRequest>,
    ) -> Result<pb::EnableStaffResponse, Status> {
        let caller = Caller::of(&request)?;
        let req = request.get_ref();
        let staff_id = id(&req.staff_id, "staff_id")?;
        let why = reason(&req.reason, false)?;
        let ctx = caller.ctx.clone();
        let reply = self
            .mutate(
                &request,
                &caller.tenant(),
                "EnableStaff",
                move |app, txn| {
                    Box::pin(async move {
                        let v = app
                            .enable_or_unlock_staff(txn, &ctx, &staff_id, false, &why)
                            .await?;
                        Ok(pb::EnableStaffResponse {
                            staff: Some(staff_view(&v, &ctx)),
                        })
                    })
                },
            )
            .await?;
        Ok(reply)
    }

    /// UnlockStaff.
    pub(super) async fn unlock_staff_rpc(
        &self,
        request: Request<pb::UnlockStaffRequest>,
    ) -> Result<pb::UnlockStaffResponse, Status> {
        let caller = Caller::of(&request)?;
        let staff_id = id(&request.get_ref().staff_id, "staff_id")?;
        let ctx = caller.ctx.clone();
        let reply = self
            .mutate(
                &request,
                &caller.tenant(),
                "UnlockStaff",
                move |app, txn| {
                    Box::pin(async move {
                        let v = app
                            .enable_or_unlock_staff(txn, &ctx, &staff_id, true, "")
                            .await?;
                        Ok(pb::UnlockStaffResponse {
                            staff: Some(staff_view(&v, &ctx)),
                        })
                    })
                },
            )
            .await?;
        Ok(reply)
    }
}
