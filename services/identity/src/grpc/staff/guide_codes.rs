//! StaffService: guide codes (导购码) — IssueGuideCode, ListGuideCodes and ResolveGuideCode.

use std::sync::Arc;

use siyu_proto::identity::v1 as pb;
use siyu_proto::time::timestamp;
use siyu_server::Paging;
use tonic::{Request, Response};

use crate::error::AppError;
use crate::grpc::staff::input::{id, opt_id};
use crate::grpc::staff::views::code_view;
use crate::grpc::{Api, Caller, R, page, record};

/// The pages of ListGuideCodes.
const CODES: Paging = Paging::new("guide_codes", 50, 200);

/// IssueGuideCode for a guide (the caller when none is named) at a store (the guide's primary
/// unit when none is named).
#[tracing::instrument(skip_all, fields(staff_id))]
pub(super) async fn issue(
    api: &Api,
    request: Request<pb::IssueGuideCodeRequest>,
) -> R<pb::IssueGuideCodeResponse> {
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
    record("staff_id", &staff_id);
    let store = opt_id(&req.store_id, "store_id")?;
    let (app, ctx, grace) = (
        Arc::clone(&api.app),
        caller.ctx,
        i64::from(req.grace_seconds),
    );
    api.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let (new, previous) = app
                    .issue_guide_code(txn, &ctx, &staff_id, &store, grace)
                    .await?;
                Ok(pb::IssueGuideCodeResponse {
                    guide_code: Some(code_view(&new)),
                    previous: previous.as_ref().map(code_view),
                })
            })
        })
        .await
}

/// ListGuideCodes: a guide's own, or those of the stores in the caller's scope.
#[tracing::instrument(skip_all)]
pub(super) async fn list(
    api: &Api,
    request: Request<pb::ListGuideCodesRequest>,
) -> R<pb::ListGuideCodesResponse> {
    let caller = Caller::of(&request)?;
    let req = request.get_ref();
    let (staff_id, store) = (
        opt_id(&req.staff_id, "staff_id")?,
        opt_id(&req.store_id, "store_id")?,
    );
    let codes = api
        .app
        .list_guide_codes(&caller.ctx, &staff_id, &store, req.include_retired)
        .await?;
    let (codes, page) = page(&CODES, codes, req.page.as_ref())?;
    Ok(Response::new(pb::ListGuideCodesResponse {
        guide_codes: codes.iter().map(code_view).collect(),
        page: Some(page),
    }))
}

/// ResolveGuideCode: the guide's public card, in the caller's tenant or the guest's app's.
#[tracing::instrument(skip_all)]
pub(super) async fn resolve(
    api: &Api,
    request: Request<pb::ResolveGuideCodeRequest>,
) -> R<pb::ResolveGuideCodeResponse> {
    let req = request.get_ref();
    let code = req.code.trim();
    if code.len() != 8 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(AppError::invalid("code", "must be 8 Crockford base32 characters").into());
    }
    let tenant = match Caller::optional(&request)? {
        Some(caller) => caller.tenant(),
        None => api.guest_tenant(&request, &req.app_id).await?,
    };
    let found = api.app.resolve_guide_code(tenant, code).await?;
    Ok(Response::new(pb::ResolveGuideCodeResponse {
        guide_id: found.code.staff_id.clone(),
        guide_display_name: found.display_name,
        guide_avatar_url: found.avatar_url,
        store_id: found.code.store_id.clone(),
        store_name: found.store_name,
        retire_time: found.code.retire_at.map(timestamp),
    }))
}
