//! `siyu.content.v1.ShareService`: dispatches each RPC to its handler in `shares`.

use siyu_proto::content::v1 as pb;
use siyu_proto::content::v1::share_service_server::ShareService;
use tonic::Request;

use super::{Handlers, R, shares};

#[tonic::async_trait]
impl ShareService for Handlers {
    async fn create_share_link(
        &self,
        request: Request<pb::CreateShareLinkRequest>,
    ) -> R<pb::CreateShareLinkResponse> {
        shares::create(self, request).await
    }

    async fn get_share_link(
        &self,
        request: Request<pb::GetShareLinkRequest>,
    ) -> R<pb::GetShareLinkResponse> {
        shares::get(self, request).await
    }

    async fn list_share_links(
        &self,
        request: Request<pb::ListShareLinksRequest>,
    ) -> R<pb::ListShareLinksResponse> {
        shares::list(self, request).await
    }

    async fn disable_share_link(
        &self,
        request: Request<pb::DisableShareLinkRequest>,
    ) -> R<pb::DisableShareLinkResponse> {
        shares::disable(self, request).await
    }

    async fn resolve_scene_code(
        &self,
        request: Request<pb::ResolveSceneCodeRequest>,
    ) -> R<pb::ResolveSceneCodeResponse> {
        shares::resolve(self, request).await
    }

    async fn record_engagement(
        &self,
        request: Request<pb::RecordEngagementRequest>,
    ) -> R<pb::RecordEngagementResponse> {
        shares::record(self, request).await
    }

    async fn get_funnel_report(
        &self,
        request: Request<pb::GetFunnelReportRequest>,
    ) -> R<pb::GetFunnelReportResponse> {
        shares::funnel(self, request).await
    }
}
