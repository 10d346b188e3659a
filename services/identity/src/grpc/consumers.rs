//! Consumers on the wire: ConsumerAuthService (WeChat login, phone OTPs, phone binding), whose
//! RPCs each delegate to the handler file of their concern, and the UserService handlers of
//! users, profiles, identity links, blocking, look-ups and contacts (dispatched from
//! `user_service.rs`), with the caller resolution and conversions merges and privacy share.

pub mod access;
mod blocking;
mod contacts;
pub mod convert;
mod links;
mod lookups;
mod otp;
mod profiles;
mod users;
mod wechat_login;

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};

use crate::grpc::ConsumerAuthApi;

#[tonic::async_trait]
impl pb::consumer_auth_service_server::ConsumerAuthService for ConsumerAuthApi {
    #[tracing::instrument(skip_all)]
    async fn login_with_we_chat(
        &self,
        request: Request<pb::LoginWithWeChatRequest>,
    ) -> Result<Response<pb::LoginWithWeChatResponse>, Status> {
        self.login_with_wechat_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn bind_phone_with_we_chat(
        &self,
        request: Request<pb::BindPhoneWithWeChatRequest>,
    ) -> Result<Response<pb::BindPhoneWithWeChatResponse>, Status> {
        self.bind_phone_with_wechat_rpc(request)
            .await
            .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn send_phone_otp(
        &self,
        request: Request<pb::SendPhoneOtpRequest>,
    ) -> Result<Response<pb::SendPhoneOtpResponse>, Status> {
        self.send_phone_otp_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn login_with_phone_otp(
        &self,
        request: Request<pb::LoginWithPhoneOtpRequest>,
    ) -> Result<Response<pb::LoginWithPhoneOtpResponse>, Status> {
        self.login_with_phone_otp_rpc(request)
            .await
            .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn bind_phone_with_otp(
        &self,
        request: Request<pb::BindPhoneWithOtpRequest>,
    ) -> Result<Response<pb::BindPhoneWithOtpResponse>, Status> {
        self.bind_phone_with_otp_rpc(request)
            .await
            .map(Response::new)
    }
}
