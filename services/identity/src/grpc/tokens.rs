//! TokenService: each RPC dispatches to the handler file of its concern — sessions (refresh,
//! logout, session admin), signing keys, the revocation feed, and client/service tokens with
//! introspection.

mod client_tokens;
mod revocation_feed;
mod sessions;
mod signing_keys;

use siyu_proto::identity::v1 as pb;
use siyu_proto::time::timestamp;
use tonic::Request;

use crate::app::tokens::sessions::Issued;
use crate::grpc::{R, TokenApi};

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
    async fn refresh_session(
        &self,
        request: Request<pb::RefreshSessionRequest>,
    ) -> R<pb::RefreshSessionResponse> {
        sessions::refresh(self, request).await
    }

    async fn logout(&self, request: Request<pb::LogoutRequest>) -> R<pb::LogoutResponse> {
        sessions::logout(self, request).await
    }

    async fn logout_everywhere(
        &self,
        request: Request<pb::LogoutEverywhereRequest>,
    ) -> R<pb::LogoutEverywhereResponse> {
        sessions::logout_everywhere(self, request).await
    }

    async fn list_sessions(
        &self,
        request: Request<pb::ListSessionsRequest>,
    ) -> R<pb::ListSessionsResponse> {
        sessions::list(self, request).await
    }

    async fn revoke_session(
        &self,
        request: Request<pb::RevokeSessionRequest>,
    ) -> R<pb::RevokeSessionResponse> {
        sessions::revoke(self, request).await
    }

    async fn get_jwks(&self, request: Request<pb::GetJwksRequest>) -> R<pb::GetJwksResponse> {
        signing_keys::jwks(self, request).await
    }

    async fn list_signing_keys(
        &self,
        request: Request<pb::ListSigningKeysRequest>,
    ) -> R<pb::ListSigningKeysResponse> {
        signing_keys::list(self, request).await
    }

    async fn rotate_signing_key(
        &self,
        request: Request<pb::RotateSigningKeyRequest>,
    ) -> R<pb::RotateSigningKeyResponse> {
        signing_keys::rotate(self, request).await
    }

    async fn list_token_revocations(
        &self,
        request: Request<pb::ListTokenRevocationsRequest>,
    ) -> R<pb::ListTokenRevocationsResponse> {
        revocation_feed::list(self, request).await
    }

    async fn issue_client_token(
        &self,
        request: Request<pb::IssueClientTokenRequest>,
    ) -> R<pb::IssueClientTokenResponse> {
        client_tokens::issue_client_token(self, request).await
    }

    async fn introspect_token(
        &self,
        request: Request<pb::IntrospectTokenRequest>,
    ) -> R<pb::IntrospectTokenResponse> {
        client_tokens::introspect(self, request).await
    }

    async fn issue_service_token(
        &self,
        request: Request<pb::IssueServiceTokenRequest>,
    ) -> R<pb::IssueServiceTokenResponse> {
        client_tokens::issue_service_token(self, request).await
    }
}
