//! UserService: its RPCs span three concepts, so this impl only dispatches — users, profiles,
//! identity links, blocking, look-ups and contacts to `consumers/`, merges to `merges/`,
//! consents, data exports and erasure to `privacy/`.

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};

use crate::grpc::UserApi;

#[tonic::async_trait]
impl pb::user_service_server::UserService for UserApi {
    #[tracing::instrument(skip_all)]
    async fn get_user(
        &self,
        request: Request<pb::GetUserRequest>,
    ) -> Result<Response<pb::GetUserResponse>, Status> {
        self.get_user_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn batch_get_users(
        &self,
        request: Request<pb::BatchGetUsersRequest>,
    ) -> Result<Response<pb::BatchGetUsersResponse>, Status> {
        self.batch_get_users_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn update_user_profile(
        &self,
        request: Request<pb::UpdateUserProfileRequest>,
    ) -> Result<Response<pb::UpdateUserProfileResponse>, Status> {
        self.update_user_profile_rpc(request)
            .await
            .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn list_linked_identities(
        &self,
        request: Request<pb::ListLinkedIdentitiesRequest>,
    ) -> Result<Response<pb::ListLinkedIdentitiesResponse>, Status> {
        self.list_linked_identities_rpc(request)
            .await
            .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn record_consent(
        &self,
        request: Request<pb::RecordConsentRequest>,
    ) -> Result<Response<pb::RecordConsentResponse>, Status> {
        self.record_consent_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn lookup_users(
        &self,
        request: Request<pb::LookupUsersRequest>,
    ) -> Result<Response<pb::LookupUsersResponse>, Status> {
        self.lookup_users_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn reveal_user_phone(
        &self,
        request: Request<pb::RevealUserPhoneRequest>,
    ) -> Result<Response<pb::RevealUserPhoneResponse>, Status> {
        self.reveal_user_phone_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn list_user_merges(
        &self,
        request: Request<pb::ListUserMergesRequest>,
    ) -> Result<Response<pb::ListUserMergesResponse>, Status> {
        self.list_user_merges_rpc(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn list_consents(
        &self,
        request: Request<pb::ListConsentsRequest>,
    ) -> Result<Response<pb::ListConsentsResponse>, Status> {
        self.list_consents_rpc(request).await.map(Response::new)
    }

    async fn set_user_blocked(
        &self,
        request: Request<pb::SetUserBlockedRequest>,
    ) -> Result<Response<pb::SetUserBlockedResponse>, Status> {
        self.set_user_blocked_rpc(request).await
    }

    async fn link_identity(
        &self,
        request: Request<pb::LinkIdentityRequest>,
    ) -> Result<Response<pb::LinkIdentityResponse>, Status> {
        self.link_identity_rpc(request).await
    }

    async fn unlink_identity(
        &self,
        request: Request<pb::UnlinkIdentityRequest>,
    ) -> Result<Response<pb::UnlinkIdentityResponse>, Status> {
        self.unlink_identity_rpc(request).await
    }

    async fn get_user_contacts(
        &self,
        request: Request<pb::GetUserContactsRequest>,
    ) -> Result<Response<pb::GetUserContactsResponse>, Status> {
        self.get_user_contacts_rpc(request).await
    }

    async fn merge_users(
        &self,
        request: Request<pb::MergeUsersRequest>,
    ) -> Result<Response<pb::MergeUsersResponse>, Status> {
        self.merge_users_rpc(request).await
    }

    async fn reverse_user_merge(
        &self,
        request: Request<pb::ReverseUserMergeRequest>,
    ) -> Result<Response<pb::ReverseUserMergeResponse>, Status> {
        self.reverse_user_merge_rpc(request).await
    }

    #[tracing::instrument(skip_all)]
    async fn request_data_export(
        &self,
        request: Request<pb::RequestDataExportRequest>,
    ) -> Result<Response<pb::RequestDataExportResponse>, Status> {
        self.request_data_export_rpc(request).await
    }

    #[tracing::instrument(skip_all)]
    async fn get_data_export(
        &self,
        request: Request<pb::GetDataExportRequest>,
    ) -> Result<Response<pb::GetDataExportResponse>, Status> {
        self.get_data_export_rpc(request).await
    }

    #[tracing::instrument(skip_all)]
    async fn download_data_export(
        &self,
        request: Request<pb::DownloadDataExportRequest>,
    ) -> Result<Response<pb::DownloadDataExportResponse>, Status> {
        self.download_data_export_rpc(request).await
    }

    #[tracing::instrument(skip_all)]
    async fn erase_user(
        &self,
        request: Request<pb::EraseUserRequest>,
    ) -> Result<Response<pb::EraseUserResponse>, Status> {
        self.erase_user_rpc(request).await
    }
}
