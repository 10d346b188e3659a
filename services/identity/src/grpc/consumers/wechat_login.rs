//! ConsumerAuthService: LoginWithWeChat and BindPhoneWithWeChat. Both may mint tokens, which
//! are never stored: a key only de-duplicates concurrent duplicates.

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Response};

use crate::error::AppError;
use crate::grpc::consumers::convert::{binding_pb, user_pb};
use crate::grpc::tokens::token_pair;
use crate::grpc::{Api, Caller, R, client_info};

/// LoginWithWeChat: find-or-create the user of a mini-program code.
#[tracing::instrument(skip_all, fields(app_id = %request.get_ref().app_id))]
pub(super) async fn login(
    api: &Api,
    request: Request<pb::LoginWithWeChatRequest>,
) -> R<pb::LoginWithWeChatResponse> {
    let client = client_info(&request);
    let req = request.get_ref();
    if req.app_id.is_empty() || req.app_id.len() > 64 {
        return Err(AppError::invalid("app_id", "must be 1..64 characters").into());
    }
    if req.code.is_empty() || req.code.len() > 128 {
        return Err(AppError::invalid("code", "must be 1..128 characters").into());
    }
    let login = api
        .mutations
        .dedupe(&request, &req.app_id, async {
            Ok(api
                .app
                .login_with_wechat(&req.app_id, &req.code, &client)
                .await?)
        })
        .await?;
    Ok(Response::new(pb::LoginWithWeChatResponse {
        tokens: Some(token_pair(&login.issued)),
        user: Some(user_pb(&login.user)),
        is_new_user: login.is_new_user,
        phone_required: login.user.phone.is_none(),
    }))
}

/// BindPhoneWithWeChat: the number WeChat verified, bound (merging when another user holds it).
/// A sequential retry re-binds the same number: a no-op success.
#[tracing::instrument(skip_all)]
pub(super) async fn bind(
    api: &Api,
    request: Request<pb::BindPhoneWithWeChatRequest>,
) -> R<pb::BindPhoneWithWeChatResponse> {
    let caller = Caller::of(&request)?;
    let client = client_info(&request);
    let req = request.get_ref();
    if req.phone_code.is_empty() || req.phone_code.len() > 128 {
        return Err(AppError::invalid("phone_code", "must be 1..128 characters").into());
    }
    if req.app_id.len() > 64 {
        return Err(AppError::invalid("app_id", "must be at most 64 characters").into());
    }
    let (tenant, user_id, sid) = (
        caller.tenant(),
        &caller.ctx.principal.subject,
        caller.sid.as_deref(),
    );
    let binding = api
        .mutations
        .dedupe(&request, &tenant.to_string(), async {
            Ok(api
                .app
                .bind_phone_with_wechat(tenant, user_id, sid, &req.app_id, &req.phone_code, &client)
                .await?)
        })
        .await?;
    Ok(Response::new(pb::BindPhoneWithWeChatResponse {
        binding: Some(binding_pb(&binding)),
    }))
}
