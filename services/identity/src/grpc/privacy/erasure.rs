//! UserService: EraseUser — a consumer confirms with an OTP or a WeChat code, staff give a
//! reason.

use std::sync::Arc;

use siyu_core::PrincipalKind;
use siyu_proto::identity::v1 as pb;
use siyu_proto::time::timestamp;
use tonic::Request;

use crate::app::privacy::erasure::Erasure;
use crate::error::AppError;
use crate::grpc::consumers::access::target;
use crate::grpc::{Api, Caller, R, record};

/// EraseUser: erasing an ERASED user answers the first erasure.
#[tracing::instrument(skip_all, fields(user_id))]
pub(crate) async fn erase(
    api: &Api,
    request: Request<pb::EraseUserRequest>,
) -> R<pb::EraseUserResponse> {
    let caller = Caller::of(&request)?;
    let req = request.get_ref();
    let t = target(&caller, &req.user_id)?;
    record("user_id", &t.user_id);
    let (requested_by, reason) = erasure_in(req, caller.ctx.principal.kind)?;
    let tenant = caller.tenant();
    if requested_by == "self" {
        let sid = caller.sid.as_deref();
        api.app
            .confirm_erasure(tenant, &t.user_id, sid, &req.otp, &req.wechat_code)
            .await?;
    }
    let app = Arc::clone(&api.app);
    api.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let (user_id, actor) = (&t.user_id, &t.actor);
                let erasure = Erasure {
                    tenant,
                    user_id,
                    requested_by,
                    actor,
                    reason: &reason,
                };
                let erased = app.erase_user(txn, erasure).await?;
                Ok(pb::EraseUserResponse {
                    user_id: erased.user_id,
                    erase_time: Some(timestamp(erased.erased_at)),
                })
            })
        })
        .await
}

/// (requested by, reason) of an EraseUser request: a consumer erases itself (confirming with
/// the OTP or WeChat code checked by the app), staff give a reason of 4..200 characters.
fn erasure_in(
    req: &pb::EraseUserRequest,
    kind: PrincipalKind,
) -> Result<(&'static str, String), AppError> {
    if req.otp.len() > 16 {
        return Err(AppError::invalid("otp", "must be 6 digits"));
    }
    if req.wechat_code.len() > 128 {
        return Err(AppError::invalid(
            "wechat_code",
            "must be at most 128 characters",
        ));
    }
    if kind == PrincipalKind::Consumer {
        return Ok(("self", String::new()));
    }
    let reason = req.reason.trim();
    if !(4..=200).contains(&reason.chars().count()) {
        return Err(AppError::invalid(
            "reason",
            "is required: 4..200 characters",
        ));
    }
    Ok(("staff", reason.to_owned()))
}
