//! `siyu.membership.v1.LedgerService`: dispatches each RPC to its concept's handler in
//! `ledger`.

use siyu_proto::membership::v1 as pb;
use siyu_proto::membership::v1::ledger_service_server::LedgerService;
use tonic::Request;

use super::ledger::{
    adjustments, check_ins, earning_rules, expiring, holds, points, policy, reads, refunds,
    reports, top_up_plans, top_ups, transfers,
};
use super::{Handlers, R};

#[tonic::async_trait]
impl LedgerService for Handlers {
    async fn get_ledger_policy(
        &self,
        request: Request<pb::GetLedgerPolicyRequest>,
    ) -> R<pb::GetLedgerPolicyResponse> {
        policy::get(self, request).await
    }

    async fn update_ledger_policy(
        &self,
        request: Request<pb::UpdateLedgerPolicyRequest>,
    ) -> R<pb::UpdateLedgerPolicyResponse> {
        policy::update(self, request).await
    }

    async fn get_balances(
        &self,
        request: Request<pb::GetBalancesRequest>,
    ) -> R<pb::GetBalancesResponse> {
        reads::balances(self, request).await
    }

    async fn list_journal_entries(
        &self,
        request: Request<pb::ListJournalEntriesRequest>,
    ) -> R<pb::ListJournalEntriesResponse> {
        reads::journal(self, request).await
    }

    async fn list_points_lots(
        &self,
        request: Request<pb::ListPointsLotsRequest>,
    ) -> R<pb::ListPointsLotsResponse> {
        reads::lots(self, request).await
    }

    async fn list_members_with_expiring_points(
        &self,
        request: Request<pb::ListMembersWithExpiringPointsRequest>,
    ) -> R<pb::ListMembersWithExpiringPointsResponse> {
        expiring::list(self, request).await
    }

    async fn earn_points(
        &self,
        request: Request<pb::EarnPointsRequest>,
    ) -> R<pb::EarnPointsResponse> {
        points::earn(self, request).await
    }

    async fn redeem_points(
        &self,
        request: Request<pb::RedeemPointsRequest>,
    ) -> R<pb::RedeemPointsResponse> {
        points::redeem(self, request).await
    }

    async fn hold_points(
        &self,
        request: Request<pb::HoldPointsRequest>,
    ) -> R<pb::HoldPointsResponse> {
        holds::hold_points(self, request).await
    }

    async fn capture_points(
        &self,
        request: Request<pb::CapturePointsRequest>,
    ) -> R<pb::CapturePointsResponse> {
        holds::capture_points(self, request).await
    }

    async fn release_points(
        &self,
        request: Request<pb::ReleasePointsRequest>,
    ) -> R<pb::ReleasePointsResponse> {
        holds::release_points(self, request).await
    }

    async fn hold_stored_value(
        &self,
        request: Request<pb::HoldStoredValueRequest>,
    ) -> R<pb::HoldStoredValueResponse> {
        holds::hold_stored_value(self, request).await
    }

    async fn capture_stored_value(
        &self,
        request: Request<pb::CaptureStoredValueRequest>,
    ) -> R<pb::CaptureStoredValueResponse> {
        holds::capture_stored_value(self, request).await
    }

    async fn release_stored_value(
        &self,
        request: Request<pb::ReleaseStoredValueRequest>,
    ) -> R<pb::ReleaseStoredValueResponse> {
        holds::release_stored_value(self, request).await
    }

    async fn get_order_holds(
        &self,
        request: Request<pb::GetOrderHoldsRequest>,
    ) -> R<pb::GetOrderHoldsResponse> {
        holds::order_holds(self, request).await
    }

    async fn refund_points(
        &self,
        request: Request<pb::RefundPointsRequest>,
    ) -> R<pb::RefundPointsResponse> {
        refunds::refund_points(self, request).await
    }

    async fn refund_stored_value(
        &self,
        request: Request<pb::RefundStoredValueRequest>,
    ) -> R<pb::RefundStoredValueResponse> {
        refunds::refund_stored_value(self, request).await
    }

    async fn adjust_balance(
        &self,
        request: Request<pb::AdjustBalanceRequest>,
    ) -> R<pb::AdjustBalanceResponse> {
        adjustments::adjust(self, request).await
    }

    async fn transfer_points(
        &self,
        request: Request<pb::TransferPointsRequest>,
    ) -> R<pb::TransferPointsResponse> {
        transfers::transfer(self, request).await
    }

    async fn check_in(&self, request: Request<pb::CheckInRequest>) -> R<pb::CheckInResponse> {
        check_ins::check_in(self, request).await
    }

    async fn get_check_in_status(
        &self,
        request: Request<pb::GetCheckInStatusRequest>,
    ) -> R<pb::GetCheckInStatusResponse> {
        check_ins::status(self, request).await
    }

    async fn create_earning_rule(
        &self,
        request: Request<pb::CreateEarningRuleRequest>,
    ) -> R<pb::CreateEarningRuleResponse> {
        earning_rules::create(self, request).await
    }

    async fn update_earning_rule(
        &self,
        request: Request<pb::UpdateEarningRuleRequest>,
    ) -> R<pb::UpdateEarningRuleResponse> {
        earning_rules::update(self, request).await
    }

    async fn list_earning_rules(
        &self,
        request: Request<pb::ListEarningRulesRequest>,
    ) -> R<pb::ListEarningRulesResponse> {
        earning_rules::list(self, request).await
    }

    async fn create_top_up_plan(
        &self,
        request: Request<pb::CreateTopUpPlanRequest>,
    ) -> R<pb::CreateTopUpPlanResponse> {
        top_up_plans::create(self, request).await
    }

    async fn update_top_up_plan(
        &self,
        request: Request<pb::UpdateTopUpPlanRequest>,
    ) -> R<pb::UpdateTopUpPlanResponse> {
        top_up_plans::update(self, request).await
    }

    async fn list_top_up_plans(
        &self,
        request: Request<pb::ListTopUpPlansRequest>,
    ) -> R<pb::ListTopUpPlansResponse> {
        top_up_plans::list(self, request).await
    }

    async fn top_up_stored_value(
        &self,
        request: Request<pb::TopUpStoredValueRequest>,
    ) -> R<pb::TopUpStoredValueResponse> {
        top_ups::top_up(self, request).await
    }

    async fn reverse_earned_points(
        &self,
        request: Request<pb::ReverseEarnedPointsRequest>,
    ) -> R<pb::ReverseEarnedPointsResponse> {
        refunds::reverse_earned_points(self, request).await
    }

    async fn reverse_top_up(
        &self,
        request: Request<pb::ReverseTopUpRequest>,
    ) -> R<pb::ReverseTopUpResponse> {
        top_ups::reverse(self, request).await
    }

    async fn get_points_liability_report(
        &self,
        request: Request<pb::GetPointsLiabilityReportRequest>,
    ) -> R<pb::GetPointsLiabilityReportResponse> {
        reports::points(self, request).await
    }

    async fn get_stored_value_liability_report(
        &self,
        request: Request<pb::GetStoredValueLiabilityReportRequest>,
    ) -> R<pb::GetStoredValueLiabilityReportResponse> {
        reports::stored_value(self, request).await
    }
}
