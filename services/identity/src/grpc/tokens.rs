//! TokenService: each RPC delegates to the handler file of its concern — sessions (refresh,
//! logout, session admin), signing keys, the revocation feed, and client/service tokens with
//! introspection.

mod client_tokens;
mod revocation_feed;
mod sessions;
mod signing_keys;

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};

use crate::app::tokens::sessions::Issued;
use crate::grpc::TokenApi;
use siyu_proto::time::timestamp;

/// The wire form of issued tokens.
pub fn token_pair(issued: &Issued) -> pb::TokenPair {
    pb::TokenPair {
        access_token: issued.access_token.clone(),
        access_token_expire_time: Some(timestamp(issued.access_expires_at)),
        refresh_token: issued.refresh_token.clone(),
        refresh_token_expire_time: issued.refresh_expires_at.map(timestamp),
        token_type: "Bearer".into(),
        session_id: issued.session_id.clone(),
    }
}

#[tonic::async_trait]
impl pb::token_service_server::TokenService for TokenApi {
    #[tracing::instrument(skip_all)]
    async fn refresh_session(
        &self,
        request: Request<pb::RefreshSessionRequest>,
    ) -> Result<Response<pb::RefreshSessionResponse>, Status> {
        self.refresh_session_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn logout(
        &self,
        request: Request<pb::LogoutRequest>,
    ) -> Result<Response<pb::LogoutResponse>, Status> {
        self.logout_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn logout_everywhere(
        &self,
        request: Request<pb::LogoutEverywhereRequest>,
    ) -> Result<Response<pb::LogoutEverywhereResponse>, Status> {
        self.logout_everywhere_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn list_sessions(
        &self,
        request: Request<pb::ListSessionsRequest>,
    ) -> Result<Response<pb::ListSessionsResponse>, Status> {
        self.sessions(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn revoke_session(
        &self,
        request: Request<pb::RevokeSessionRequest>,
    ) -> Result<Response<pb::RevokeSessionResponse>, Status> {
        self.revoke(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn get_jwks(
        &self,
        request: Request<pb::GetJwksRequest>,
    ) -> Result<Response<pb::GetJwksResponse>, Status> {
        self.jwks_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn list_signing_keys(
        &self,
        request: Request<pb::ListSigningKeysRequest>,
    ) -> Result<Response<pb::ListSigningKeysResponse>, Status> {
        self.list_signing_keys_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn rotate_signing_key(
        &self,
        request: Request<pb::RotateSigningKeyRequest>,
    ) -> Result<Response<pb::RotateSigningKeyResponse>, Status> {
        self.rotate_signing_key_rpc(request)
            .await
            .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn list_token_revocations(
        &self,
        request: Request<pb::ListTokenRevocationsRequest>,
    ) -> Result<Response<pb::ListTokenRevocationsResponse>, Status> {
        self.revocations(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn issue_client_token(
        &self,
        request: Request<pb::IssueClientTokenRequest>,
    ) -> Result<Response<pb::IssueClientTokenResponse>, Status> {
        self.issue_client_token_rpc(request)
            .await
            .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn introspect_token(
        &self,
        request: Request<pb::IntrospectTokenRequest>,
    ) -> Result<Response<pb::IntrospectTokenResponse>, Status> {
        self.introspect_token_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn issue_service_token(
        &self,
        request: Request<pb::IssueServiceTokenRequest>,
    ) -> Result<Response<pb::IssueServiceTokenResponse>, Status> {
        self.issue_service_token_rpc(request)
            .await
            .map(Response::new)
    }
}
