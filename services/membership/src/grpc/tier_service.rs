//! `siyu.membership.v1.TierService`: dispatches each RPC to its handler in `tiers`.

use siyu_proto::membership::v1 as pb;
use siyu_proto::membership::v1::tier_service_server::TierService;
use tonic::Request;

use super::tiers::{growth, ladder};
use super::{Handlers, R};

#[tonic::async_trait]
impl TierService for Handlers {
    async fn create_tier(
        &self,
        request: Request<pb::CreateTierRequest>,
    ) -> R<pb::CreateTierResponse> {
        ladder::create(self, request).await
    }

    async fn update_tier(
        &self,
        request: Request<pb::UpdateTierRequest>,
    ) -> R<pb::UpdateTierResponse> {
        ladder::update(self, request).await
    }

    async fn archive_tier(
        &self,
        request: Request<pb::ArchiveTierRequest>,
    ) -> R<pb::ArchiveTierResponse> {
        ladder::archive(self, request).await
    }

    async fn list_tiers(&self, request: Request<pb::ListTiersRequest>) -> R<pb::ListTiersResponse> {
        ladder::list(self, request).await
    }

    async fn get_tier_policy(
        &self,
        request: Request<pb::GetTierPolicyRequest>,
    ) -> R<pb::GetTierPolicyResponse> {
        ladder::get_policy(self, request).await
    }

    async fn update_tier_policy(
        &self,
        request: Request<pb::UpdateTierPolicyRequest>,
    ) -> R<pb::UpdateTierPolicyResponse> {
        ladder::update_policy(self, request).await
    }

    async fn get_member_tier(
        &self,
        request: Request<pb::GetMemberTierRequest>,
    ) -> R<pb::GetMemberTierResponse> {
        growth::member_tier_of(self, request).await
    }

    async fn list_growth_history(
        &self,
        request: Request<pb::ListGrowthHistoryRequest>,
    ) -> R<pb::ListGrowthHistoryResponse> {
        growth::history(self, request).await
    }

    async fn adjust_growth(
        &self,
        request: Request<pb::AdjustGrowthRequest>,
    ) -> R<pb::AdjustGrowthResponse> {
        growth::adjust(self, request).await
    }
}
