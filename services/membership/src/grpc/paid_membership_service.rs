//! `siyu.membership.v1.PaidMembershipService`: dispatches each RPC to its handler in `paid`.

use siyu_proto::membership::v1 as pb;
use siyu_proto::membership::v1::paid_membership_service_server::PaidMembershipService;
use tonic::Request;

use super::paid::{periods, plans, report};
use super::{Handlers, R};

#[tonic::async_trait]
impl PaidMembershipService for Handlers {
    async fn create_paid_plan(
        &self,
        request: Request<pb::CreatePaidPlanRequest>,
    ) -> R<pb::CreatePaidPlanResponse> {
        plans::create(self, request).await
    }

    async fn update_paid_plan(
        &self,
        request: Request<pb::UpdatePaidPlanRequest>,
    ) -> R<pb::UpdatePaidPlanResponse> {
        plans::update(self, request).await
    }

    async fn get_paid_plan(
        &self,
        request: Request<pb::GetPaidPlanRequest>,
    ) -> R<pb::GetPaidPlanResponse> {
        plans::get(self, request).await
    }

    async fn list_paid_plans(
        &self,
        request: Request<pb::ListPaidPlansRequest>,
    ) -> R<pb::ListPaidPlansResponse> {
        plans::list(self, request).await
    }

    async fn activate_paid_membership(
        &self,
        request: Request<pb::ActivatePaidMembershipRequest>,
    ) -> R<pb::ActivatePaidMembershipResponse> {
        periods::activate(self, request).await
    }

    async fn revoke_paid_membership(
        &self,
        request: Request<pb::RevokePaidMembershipRequest>,
    ) -> R<pb::RevokePaidMembershipResponse> {
        periods::revoke(self, request).await
    }

    async fn get_paid_membership(
        &self,
        request: Request<pb::GetPaidMembershipRequest>,
    ) -> R<pb::GetPaidMembershipResponse> {
        periods::get(self, request).await
    }

    async fn set_paid_auto_renew(
        &self,
        request: Request<pb::SetPaidAutoRenewRequest>,
    ) -> R<pb::SetPaidAutoRenewResponse> {
        periods::set_auto_renew(self, request).await
    }

    async fn get_paid_renewal_report(
        &self,
        request: Request<pb::GetPaidRenewalReportRequest>,
    ) -> R<pb::GetPaidRenewalReportResponse> {
        report::renewal_report(self, request).await
    }
}
