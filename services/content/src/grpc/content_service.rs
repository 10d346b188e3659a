//! `siyu.content.v1.ContentService`: dispatches each RPC to its handler in `contents`,
//! `slots` or `pages`.

use siyu_proto::content::v1 as pb;
use siyu_proto::content::v1::content_service_server::ContentService;
use tonic::Request;

use super::{Handlers, R, contents, pages, slots};

#[tonic::async_trait]
impl ContentService for Handlers {
    async fn create_content(
        &self,
        request: Request<pb::CreateContentRequest>,
    ) -> R<pb::CreateContentResponse> {
        contents::create(self, request).await
    }

    async fn update_content(
        &self,
        request: Request<pb::UpdateContentRequest>,
    ) -> R<pb::UpdateContentResponse> {
        contents::update(self, request).await
    }

    async fn get_content(
        &self,
        request: Request<pb::GetContentRequest>,
    ) -> R<pb::GetContentResponse> {
        contents::get(self, request).await
    }

    async fn list_contents(
        &self,
        request: Request<pb::ListContentsRequest>,
    ) -> R<pb::ListContentsResponse> {
        contents::list(self, request).await
    }

    async fn publish_content(
        &self,
        request: Request<pb::PublishContentRequest>,
    ) -> R<pb::PublishContentResponse> {
        contents::publish(self, request).await
    }

    async fn unschedule_content(
        &self,
        request: Request<pb::UnscheduleContentRequest>,
    ) -> R<pb::UnscheduleContentResponse> {
        contents::unschedule(self, request).await
    }

    async fn archive_content(
        &self,
        request: Request<pb::ArchiveContentRequest>,
    ) -> R<pb::ArchiveContentResponse> {
        contents::archive(self, request).await
    }

    async fn list_content_versions(
        &self,
        request: Request<pb::ListContentVersionsRequest>,
    ) -> R<pb::ListContentVersionsResponse> {
        contents::list_versions(self, request).await
    }

    async fn get_content_version(
        &self,
        request: Request<pb::GetContentVersionRequest>,
    ) -> R<pb::GetContentVersionResponse> {
        contents::get_version(self, request).await
    }

    async fn restore_content_version(
        &self,
        request: Request<pb::RestoreContentVersionRequest>,
    ) -> R<pb::RestoreContentVersionResponse> {
        contents::restore(self, request).await
    }

    async fn create_slot(
        &self,
        request: Request<pb::CreateSlotRequest>,
    ) -> R<pb::CreateSlotResponse> {
        slots::create(self, request).await
    }

    async fn update_slot(
        &self,
        request: Request<pb::UpdateSlotRequest>,
    ) -> R<pb::UpdateSlotResponse> {
        slots::update(self, request).await
    }

    async fn list_slots(&self, request: Request<pb::ListSlotsRequest>) -> R<pb::ListSlotsResponse> {
        slots::list(self, request).await
    }

    async fn set_slot_placements(
        &self,
        request: Request<pb::SetSlotPlacementsRequest>,
    ) -> R<pb::SetSlotPlacementsResponse> {
        slots::set_placements(self, request).await
    }

    async fn get_page(&self, request: Request<pb::GetPageRequest>) -> R<pb::GetPageResponse> {
        pages::get_page(self, request).await
    }

    async fn get_published_content(
        &self,
        request: Request<pb::GetPublishedContentRequest>,
    ) -> R<pb::GetPublishedContentResponse> {
        pages::get_published(self, request).await
    }

    async fn list_published_contents(
        &self,
        request: Request<pb::ListPublishedContentsRequest>,
    ) -> R<pb::ListPublishedContentsResponse> {
        pages::list_published(self, request).await
    }
}
