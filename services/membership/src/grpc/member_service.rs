//! `siyu.membership.v1.MemberService`: dispatches each RPC to its handler in `members`, the
//! guide-binding RPCs to theirs in `guides`.

use siyu_proto::membership::v1 as pb;
use siyu_proto::membership::v1::member_service_server::MemberService;
use tonic::Request;

use super::{Handlers, R, guides, members};

#[tonic::async_trait]
impl MemberService for Handlers {
    async fn enroll_member(
        &self,
        request: Request<pb::EnrollMemberRequest>,
    ) -> R<pb::EnrollMemberResponse> {
        members::enrol::enrol(self, request).await
    }

    async fn get_member(&self, request: Request<pb::GetMemberRequest>) -> R<pb::GetMemberResponse> {
        members::get(self, request).await
    }

    async fn get_member_by_user(
        &self,
        request: Request<pb::GetMemberByUserRequest>,
    ) -> R<pb::GetMemberByUserResponse> {
        members::by_user(self, request).await
    }

    async fn get_member_by_card_number(
        &self,
        request: Request<pb::GetMemberByCardNumberRequest>,
    ) -> R<pb::GetMemberByCardNumberResponse> {
        members::by_card(self, request).await
    }

    async fn issue_member_code(
        &self,
        request: Request<pb::IssueMemberCodeRequest>,
    ) -> R<pb::IssueMemberCodeResponse> {
        members::issue_code(self, request).await
    }

    async fn list_members(
        &self,
        request: Request<pb::ListMembersRequest>,
    ) -> R<pb::ListMembersResponse> {
        members::list::list(self, request).await
    }

    async fn update_member(
        &self,
        request: Request<pb::UpdateMemberRequest>,
    ) -> R<pb::UpdateMemberResponse> {
        members::update::update(self, request).await
    }

    async fn bind_guide(&self, request: Request<pb::BindGuideRequest>) -> R<pb::BindGuideResponse> {
        guides::bind(self, request).await
    }

    async fn unbind_guide(
        &self,
        request: Request<pb::UnbindGuideRequest>,
    ) -> R<pb::UnbindGuideResponse> {
        guides::unbind(self, request).await
    }

    async fn reassign_guide_members(
        &self,
        request: Request<pb::ReassignGuideMembersRequest>,
    ) -> R<pb::ReassignGuideMembersResponse> {
        guides::reassign(self, request).await
    }

    async fn list_guide_members(
        &self,
        request: Request<pb::ListGuideMembersRequest>,
    ) -> R<pb::ListGuideMembersResponse> {
        guides::reads::members(self, request).await
    }

    async fn get_guide_policy(
        &self,
        request: Request<pb::GetGuidePolicyRequest>,
    ) -> R<pb::GetGuidePolicyResponse> {
        guides::policy::get(self, request).await
    }

    async fn update_guide_policy(
        &self,
        request: Request<pb::UpdateGuidePolicyRequest>,
    ) -> R<pb::UpdateGuidePolicyResponse> {
        guides::policy::update(self, request).await
    }

    async fn list_guide_binding_history(
        &self,
        request: Request<pb::ListGuideBindingHistoryRequest>,
    ) -> R<pb::ListGuideBindingHistoryResponse> {
        guides::reads::history(self, request).await
    }
}
