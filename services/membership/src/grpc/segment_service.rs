//! `siyu.membership.v1.SegmentService`: dispatches each RPC to its handler in `segments`.

use siyu_proto::membership::v1 as pb;
use siyu_proto::membership::v1::segment_service_server::SegmentService;
use tonic::Request;

use super::segments::{admin, evaluation};
use super::{Handlers, R};

#[tonic::async_trait]
impl SegmentService for Handlers {
    async fn create_segment(
        &self,
        request: Request<pb::CreateSegmentRequest>,
    ) -> R<pb::CreateSegmentResponse> {
        admin::create(self, request).await
    }

    async fn update_segment(
        &self,
        request: Request<pb::UpdateSegmentRequest>,
    ) -> R<pb::UpdateSegmentResponse> {
        admin::update(self, request).await
    }

    async fn get_segment(
        &self,
        request: Request<pb::GetSegmentRequest>,
    ) -> R<pb::GetSegmentResponse> {
        admin::get(self, request).await
    }

    async fn list_segments(
        &self,
        request: Request<pb::ListSegmentsRequest>,
    ) -> R<pb::ListSegmentsResponse> {
        admin::list(self, request).await
    }

    async fn archive_segment(
        &self,
        request: Request<pb::ArchiveSegmentRequest>,
    ) -> R<pb::ArchiveSegmentResponse> {
        admin::archive(self, request).await
    }

    async fn preview_segment(
        &self,
        request: Request<pb::PreviewSegmentRequest>,
    ) -> R<pb::PreviewSegmentResponse> {
        evaluation::preview(self, request).await
    }

    async fn evaluate_segment(
        &self,
        request: Request<pb::EvaluateSegmentRequest>,
    ) -> R<pb::EvaluateSegmentResponse> {
        evaluation::evaluate(self, request).await
    }

    async fn export_segment_members(
        &self,
        request: Request<pb::ExportSegmentMembersRequest>,
    ) -> R<pb::ExportSegmentMembersResponse> {
        evaluation::export(self, request).await
    }

    async fn check_segment_membership(
        &self,
        request: Request<pb::CheckSegmentMembershipRequest>,
    ) -> R<pb::CheckSegmentMembershipResponse> {
        evaluation::check(self, request).await
    }
}
