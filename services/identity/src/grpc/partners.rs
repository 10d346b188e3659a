//! PartnerService: each RPC dispatches to the handler file of its concern — clients and secret
//! rotation — and the wire form of a client.
//!
//! A secret is shown once, yet a retry with the same idempotency key must return it again; the
//! stored reply therefore holds the secret sealed (`grpc/sealed.rs`), never in clear, and the
//! handler opens it on the way out.

mod clients;
mod input;
mod secret_rotation;

use siyu_proto::identity::v1 as pb;
use siyu_proto::time::timestamp;
use tonic::Request;

use crate::grpc::{PartnerApi, R};
use crate::repo::partners::PartnerStatus;
use crate::repo::partners::clients::PartnerClient;

/// The wire form of a client (never its secret).
pub fn partner_view(p: &PartnerClient) -> pb::PartnerClient {
    pb::PartnerClient {
        client_id: p.client_id.clone(),
        name: p.name.clone(),
        description: p.description.clone(),
        scopes: p.scopes.clone(),
        rate_limit_per_minute: p.rate_limit_per_minute,
        rate_limit_burst: p.rate_limit_burst,
        ip_allow_list: p.ip_allow_list.clone(),
        token_ttl_seconds: p.token_ttl_secs,
        status: match p.status {
            PartnerStatus::Active => pb::PartnerClientStatus::Active,
            PartnerStatus::Revoked => pb::PartnerClientStatus::Revoked,
        } as i32,
        secret_last4: p.secret_last4.clone(),
        secret_create_time: p.secret_created_at.map(timestamp),
        previous_secret_expire_time: p.previous_secret_expires_at.map(timestamp),
        created_by: p.created_by.clone(),
        create_time: Some(timestamp(p.created_at)),
        update_time: Some(timestamp(p.updated_at)),
        last_token_time: p.last_token_at.map(timestamp),
        etag: p.version.to_string(),
    }
}

#[tonic::async_trait]
impl pb::partner_service_server::PartnerService for PartnerApi {
    async fn create_partner_client(
        &self,
        request: Request<pb::CreatePartnerClientRequest>,
    ) -> R<pb::CreatePartnerClientResponse> {
        clients::create(self, request).await
    }

    async fn get_partner_client(
        &self,
        request: Request<pb::GetPartnerClientRequest>,
    ) -> R<pb::GetPartnerClientResponse> {
        clients::get(self, request).await
    }

    async fn list_partner_clients(
        &self,
        request: Request<pb::ListPartnerClientsRequest>,
    ) -> R<pb::ListPartnerClientsResponse> {
        clients::list(self, request).await
    }

    async fn update_partner_client(
        &self,
        request: Request<pb::UpdatePartnerClientRequest>,
    ) -> R<pb::UpdatePartnerClientResponse> {
        clients::update(self, request).await
    }

    async fn rotate_partner_client_secret(
        &self,
        request: Request<pb::RotatePartnerClientSecretRequest>,
    ) -> R<pb::RotatePartnerClientSecretResponse> {
        secret_rotation::rotate(self, request).await
    }

    async fn revoke_partner_client(
        &self,
        request: Request<pb::RevokePartnerClientRequest>,
    ) -> R<pb::RevokePartnerClientResponse> {
        clients::revoke(self, request).await
    }
}
