//! `siyu.membership.v1.TagService`: dispatches each RPC to its handler in `tags`.

use siyu_proto::membership::v1 as pb;
use siyu_proto::membership::v1::tag_service_server::TagService;
use tonic::Request;

use super::{Handlers, R, tags};

#[tonic::async_trait]
impl TagService for Handlers {
    async fn create_tag(&self, request: Request<pb::CreateTagRequest>) -> R<pb::CreateTagResponse> {
        tags::create(self, request).await
    }

    async fn update_tag(&self, request: Request<pb::UpdateTagRequest>) -> R<pb::UpdateTagResponse> {
        tags::update(self, request).await
    }

    async fn delete_tag(&self, request: Request<pb::DeleteTagRequest>) -> R<pb::DeleteTagResponse> {
        tags::delete(self, request).await
    }

    async fn list_tags(&self, request: Request<pb::ListTagsRequest>) -> R<pb::ListTagsResponse> {
        tags::list(self, request).await
    }

    async fn tag_members(
        &self,
        request: Request<pb::TagMembersRequest>,
    ) -> R<pb::TagMembersResponse> {
        tags::tag_members(self, request).await
    }

    async fn untag_members(
        &self,
        request: Request<pb::UntagMembersRequest>,
    ) -> R<pb::UntagMembersResponse> {
        tags::untag_members(self, request).await
    }
}
