//! UserService: its RPCs span three concepts, so this impl only dispatches — users, profiles,
//! identity links, blocking, look-ups and contacts to `consumers/`, merges to `merges/`,
//! consents, data exports and erasure to `privacy/`.

use siyu_proto::identity::v1 as pb;
use tonic::Request;

use crate::grpc::consumers::{blocking, contacts, links, lookups, profiles, users};
use crate::grpc::merges::{history, reversal, staff_merge};
use crate::grpc::privacy::{consents, data_export, erasure};
use crate::grpc::{R, UserApi};

#[tonic::async_trait]
impl pb::user_service_server::UserService for UserApi {
    async fn get_user(&self, request: Request<pb::GetUserRequest>) -> R<pb::GetUserResponse> {
        users::get(self, request).await
    }

    async fn batch_get_users(
        &self,
        request: Request<pb::BatchGetUsersRequest>,
    ) -> R<pb::BatchGetUsersResponse> {
        users::batch_get(self, request).await
    }

    async fn update_user_profile(
        &self,
        request: Request<pb::UpdateUserProfileRequest>,
    ) -> R<pb::UpdateUserProfileResponse> {
        profiles::update(self, request).await
    }

    async fn set_user_blocked(
        &self,
        request: Request<pb::SetUserBlockedRequest>,
    ) -> R<pb::SetUserBlockedResponse> {
        blocking::set_blocked(self, request).await
    }

    async fn list_linked_identities(
        &self,
        request: Request<pb::ListLinkedIdentitiesRequest>,
    ) -> R<pb::ListLinkedIdentitiesResponse> {
        users::linked_identities(self, request).await
    }

    async fn link_identity(
        &self,
        request: Request<pb::LinkIdentityRequest>,
    ) -> R<pb::LinkIdentityResponse> {
        links::link(self, request).await
    }

    async fn unlink_identity(
        &self,
        request: Request<pb::UnlinkIdentityRequest>,
    ) -> R<pb::UnlinkIdentityResponse> {
        links::unlink(self, request).await
    }

    async fn lookup_users(
        &self,
        request: Request<pb::LookupUsersRequest>,
    ) -> R<pb::LookupUsersResponse> {
        lookups::lookup(self, request).await
    }

    async fn reveal_user_phone(
        &self,
        request: Request<pb::RevealUserPhoneRequest>,
    ) -> R<pb::RevealUserPhoneResponse> {
        lookups::reveal_phone(self, request).await
    }

    async fn get_user_contacts(
        &self,
        request: Request<pb::GetUserContactsRequest>,
    ) -> R<pb::GetUserContactsResponse> {
        contacts::get(self, request).await
    }

    async fn merge_users(
        &self,
        request: Request<pb::MergeUsersRequest>,
    ) -> R<pb::MergeUsersResponse> {
        staff_merge::merge(self, request).await
    }

    async fn list_user_merges(
        &self,
        request: Request<pb::ListUserMergesRequest>,
    ) -> R<pb::ListUserMergesResponse> {
        history::list(self, request).await
    }

    async fn reverse_user_merge(
        &self,
        request: Request<pb::ReverseUserMergeRequest>,
    ) -> R<pb::ReverseUserMergeResponse> {
        reversal::reverse(self, request).await
    }

    async fn record_consent(
        &self,
        request: Request<pb::RecordConsentRequest>,
    ) -> R<pb::RecordConsentResponse> {
        consents::record_consent(self, request).await
    }

    async fn list_consents(
        &self,
        request: Request<pb::ListConsentsRequest>,
    ) -> R<pb::ListConsentsResponse> {
        consents::list(self, request).await
    }

    async fn request_data_export(
        &self,
        request: Request<pb::RequestDataExportRequest>,
    ) -> R<pb::RequestDataExportResponse> {
        data_export::request(self, request).await
    }

    async fn get_data_export(
        &self,
        request: Request<pb::GetDataExportRequest>,
    ) -> R<pb::GetDataExportResponse> {
        data_export::get(self, request).await
    }

    async fn download_data_export(
        &self,
        request: Request<pb::DownloadDataExportRequest>,
    ) -> R<pb::DownloadDataExportResponse> {
        data_export::download(self, request).await
    }

    async fn erase_user(&self, request: Request<pb::EraseUserRequest>) -> R<pb::EraseUserResponse> {
        erasure::erase(self, request).await
    }
}
