//! StaffService: guide codes (导购码) — IssueGuideCode, ListGuideCodes and ResolveGuideCode.

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Status};

use crate::error::AppError;
use crate::grpc::paging::page;
use crate::grpc::staff::input::{id, opt_id};
use crate::grpc::staff::views::code_view;
use crate::grpc::{Caller, StaffApi};
use siyu_proto::time::timestamp;

impl StaffApi {
    /// IssueGuideCode.
    pub(super) async fn issue_guide_code_rpc(
        &self,
        request: Request<pb::IssueGuideCodeRequest>,
    ) -> Result<pb::IssueGuideCodeResponse, Status> {
        let caller = Caller::of(&request)?;
        let req = request.get_ref();
        if !(0..=2_592_000).contains(&req.grace_seconds) {
            return Err(AppError::invalid("grace_seconds", "must be 0..2592000").into());
        }
        let staff_id = if req.staff_id.is_empty() {
            caller.ctx.principal.subject.clone()
        } else {
            id(&req.staff_id, "staff_id")?
        };
        let store = opt_id(&req.store_id, "store_id")?;
        let grace = i64::from(req.grace_seconds);
        let ctx = caller.ctx.clone();
        let reply = self
            .mutate(
                &request,
                &caller.tenant(),
                "IssueGuideCode",
                move |app, txn| {
                    Box::pin(async move {
                        let (new, previous) = app
                            .issue_guide_code(txn, &ctx, &staff_id, &store, grace)
                            .await?;
                        Ok(pb::IssueGuideCodeResponse {
                            guide_code: Some(code_view(&new)),
                            previous: previous.as_ref().map(code_view),
                        })
                    })
                },
            )
            .await?;
        Ok(reply)
    }

    /// ListGuideCodes.
    pub(super) async fn list_guide_codes_rpc(
        &self,
        request: Request<pb::ListGuideCodesRequest>,
    ) -> Result<pb::ListGuideCodesResponse, Status> {
        let caller = Caller::of(&request)?;
        let req = request.get_ref();
        let codes = self
            .app
            .list_guide_codes(
                &caller.ctx,
                &opt_id(&req.staff_id, "staff_id")?,
                &opt_id(&req.store_id, "store_id")?,
                req.include_retired,
            )
            .await?;
        let (codes, page) = page("guide_codes", codes, req.page.as_ref(), 200)?;
        Ok(pb::ListGuideCodesResponse {
            guide_codes: codes.iter().map(code_view).collect(),
            page: Some(page),
        })
    }

    /// ResolveGuideCode.
    pub(super) async fn resolve_guide_code_rpc(
        &self,
        request: Request<pb::ResolveGuideCodeRequest>,
    ) -> Result<pb::ResolveGuideCodeResponse, Status> {
        let req = request.get_ref();
        let code = req.code.trim();
        if code.len() != 8 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(AppError::invalid("code", "must be 8 Crockford base32 characters").into());
        }
        let tenant = match Caller::optional(&request)? {
            Some(caller) => caller.tenant(),
            None => self.guest_tenant(&request, &req.app_id).await?,
        };
        let found = self.app.resolve_guide_code(&tenant, code).await?;
        Ok(pb::ResolveGuideCodeResponse {
            guide_id: found.code.staff_id.clone(),
            guide_display_name: found.display_name,
            guide_avatar_url: found.avatar_url,
            store_id: found.code.store_id.clone(),
            store_name: found.store_name,
            retire_time: found.code.retire_at.map(timestamp),
        })
    }
}
