//! Consumers on the wire: ConsumerAuthService (WeChat login, phone OTPs, phone binding), whose
//! RPCs each dispatch to the handler file of their concern, and the UserService handlers of
//! users, profiles, identity links, blocking, look-ups and contacts (dispatched from
//! `user_service.rs`), with the caller resolution and conversions merges and privacy share.

pub mod access;
pub(super) mod blocking;
pub(super) mod contacts;
pub mod convert;
pub(super) mod links;
pub(super) mod lookups;
mod otp;
pub(super) mod profiles;
pub(super) mod users;
mod wechat_login;

use siyu_proto::identity::v1 as pb;
use tonic::Request;

use crate::grpc::{ConsumerAuthApi, R};

#[tonic::async_trait]
impl pb::consumer_auth_service_server::ConsumerAuthService for ConsumerAuthApi {
    async fn login_with_we_chat(
        &self,
        request: Request<pb::LoginWithWeChatRequest>,
    ) -> R<pb::LoginWithWeChatResponse> {
        wechat_login::login(self, request).await
    }

    async fn bind_phone_with_we_chat(
        &self,
        request: Request<pb::BindPhoneWithWeChatRequest>,
    ) -> R<pb::BindPhoneWithWeChatResponse> {
        wechat_login::bind(self, request).await
    }

    async fn send_phone_otp(
        &self,
        request: Request<pb::SendPhoneOtpRequest>,
    ) -> R<pb::SendPhoneOtpResponse> {
        otp::send(self, request).await
    }

    async fn login_with_phone_otp(
        &self,
        request: Request<pb::LoginWithPhoneOtpRequest>,
    ) -> R<pb::LoginWithPhoneOtpResponse> {
        otp::login(self, request).await
    }

    async fn bind_phone_with_otp(
        &self,
        request: Request<pb::BindPhoneWithOtpRequest>,
    ) -> R<pb::BindPhoneWithOtpResponse> {
        otp::bind(self, request).await
    }
}
