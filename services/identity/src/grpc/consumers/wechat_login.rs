//! ConsumerAuthService: LoginWithWeChat and BindPhoneWithWeChat.

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Status};

use crate::error::AppError;
use crate::grpc::consumers::convert::{binding_pb, user_pb};
use crate::grpc::tokens::token_pair;
use crate::grpc::{Caller, ConsumerAuthApi, client_info};

impl ConsumerAuthApi {
    /// LoginWithWeChat: find-or-create the user of a mini-program code.
    pub(super) async fn login_with_wechat_rpc(
        &self,
        request: Request<pb::LoginWithWeChatRequest>,
    ) -> Result<pb::LoginWithWeChatResponse, Status> {
        let client = client_info(&request);
        let req = request.get_ref();
        if req.app_id.is_empty() || req.app_id.len() > 64 {
            return Err(AppError::invalid("app_id", "must be 1..64 characters").into());
        }
        if req.code.is_empty() || req.code.len() > 128 {
            return Err(AppError::invalid("code", "must be 1..128 characters").into());
        }
        let login = self
            .dedupe(&request, &req.app_id, "LoginWithWeChat", async {
                Ok(self
                    .app
                    .login_with_wechat(&req.app_id, &req.code, &client)
                    .await?)
            })
            .await?;
        let user = &login.user;
        Ok(pb::LoginWithWeChatResponse {
            tokens: Some(token_pair(&login.issued)),
            user: Some(user_pb(user)),
            is_new_user: login.is_new_user,
            phone_required: user.phone.is_none(),
        })
    }

    /// BindPhoneWithWeChat: the number WeChat verified, bound (merging when another user holds it).
    pub(super) async fn bind_phone_with_wechat_rpc(
        &self,
        request: Request<pb::BindPhoneWithWeChatRequest>,
    ) -> Result<pb::BindPhoneWithWeChatResponse, Status> {
        let caller = Caller::of(&request)?;
        let client = client_info(&request);
        let req = request.get_ref();
        if req.phone_code.is_empty() || req.phone_code.len() > 128 {
            return Err(AppError::invalid("phone_code", "must be 1..128 characters").into());
        }
        if req.app_id.len() > 64 {
            return Err(AppError::invalid("app_id", "must be at most 64 characters").into());
        }
        let tenant = caller.tenant();
        let user_id = caller.ctx.principal.subject.clone();
        // Binding may mint tokens (merge), which are never stored: de-duplicate only, like
        // logins. A sequential retry re-binds the same number: a no-op success.
        let binding = self
            .dedupe(&request, &tenant, "BindPhoneWithWeChat", async {
                Ok(self
                    .app
                    .bind_phone_with_wechat(
                        &tenant,
                        &user_id,
                        caller.sid.as_deref(),
                        &req.app_id,
                        &req.phone_code,
                        &client,
                    )
                    .await?)
            })
            .await?;
        Ok(pb::BindPhoneWithWeChatResponse {
            binding: Some(binding_pb(&binding)),
        })
    }
}
