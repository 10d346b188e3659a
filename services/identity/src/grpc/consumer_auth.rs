//! ConsumerAuthService handlers.

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};

use super::token::token_pair;
use super::{ConsumerAuthApi, client_info};
use crate::app::AppError;
use crate::events::timestamp;

#[tonic::async_trait]
impl pb::consumer_auth_service_server::ConsumerAuthService for ConsumerAuthApi {
    #[tracing::instrument(skip_all)]
    async fn login_with_we_chat(
        &self,
        request: Request<pb::LoginWithWeChatRequest>,
    ) -> Result<Response<pb::LoginWithWeChatResponse>, Status> {
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
        Ok(Response::new(pb::LoginWithWeChatResponse {
            tokens: Some(token_pair(&login.issued)),
            user: Some(pb::User {
                user_id: user.id.clone(),
                status: pb::UserStatus::Active as i32,
                phone: user.phone.clone().unwrap_or_default(),
                create_time: Some(timestamp(user.created_at)),
                update_time: Some(timestamp(user.updated_at)),
                ..Default::default()
            }),
            is_new_user: login.is_new_user,
            phone_required: user.phone.is_none(),
        }))
    }
}
