//! `siyu.membership.v1.DistributionService`: dispatches each RPC to its handler in
//! `distribution`.

use siyu_proto::membership::v1 as pb;
use siyu_proto::membership::v1::distribution_service_server::DistributionService;
use tonic::Request;

use super::distribution::{commissions, invites, policy, withdrawals};
use super::{Handlers, R};

#[tonic::async_trait]
impl DistributionService for Handlers {
    async fn get_invite_code(
        &self,
        request: Request<pb::GetInviteCodeRequest>,
    ) -> R<pb::GetInviteCodeResponse> {
        invites::get_code(self, request).await
    }

    async fn resolve_invite_code(
        &self,
        request: Request<pb::ResolveInviteCodeRequest>,
    ) -> R<pb::ResolveInviteCodeResponse> {
        invites::resolve(self, request).await
    }

    async fn get_referral(
        &self,
        request: Request<pb::GetReferralRequest>,
    ) -> R<pb::GetReferralResponse> {
        invites::referral(self, request).await
    }

    async fn list_invitees(
        &self,
        request: Request<pb::ListInviteesRequest>,
    ) -> R<pb::ListInviteesResponse> {
        invites::invitees(self, request).await
    }

    async fn get_commission_policy(
        &self,
        request: Request<pb::GetCommissionPolicyRequest>,
    ) -> R<pb::GetCommissionPolicyResponse> {
        policy::get(self, request).await
    }

    async fn update_commission_policy(
        &self,
        request: Request<pb::UpdateCommissionPolicyRequest>,
    ) -> R<pb::UpdateCommissionPolicyResponse> {
        policy::update(self, request).await
    }

    async fn set_sku_commission_rate(
        &self,
        request: Request<pb::SetSkuCommissionRateRequest>,
    ) -> R<pb::SetSkuCommissionRateResponse> {
        policy::set_rate(self, request).await
    }

    async fn delete_sku_commission_rate(
        &self,
        request: Request<pb::DeleteSkuCommissionRateRequest>,
    ) -> R<pb::DeleteSkuCommissionRateResponse> {
        policy::delete_rate(self, request).await
    }

    async fn list_sku_commission_rates(
        &self,
        request: Request<pb::ListSkuCommissionRatesRequest>,
    ) -> R<pb::ListSkuCommissionRatesResponse> {
        policy::rates(self, request).await
    }

    async fn set_distributor_enabled(
        &self,
        request: Request<pb::SetDistributorEnabledRequest>,
    ) -> R<pb::SetDistributorEnabledResponse> {
        policy::set_distributor(self, request).await
    }

    async fn list_commission_entries(
        &self,
        request: Request<pb::ListCommissionEntriesRequest>,
    ) -> R<pb::ListCommissionEntriesResponse> {
        commissions::entries(self, request).await
    }

    async fn get_commission_balance(
        &self,
        request: Request<pb::GetCommissionBalanceRequest>,
    ) -> R<pb::GetCommissionBalanceResponse> {
        commissions::balance(self, request).await
    }

    async fn request_withdrawal(
        &self,
        request: Request<pb::RequestWithdrawalRequest>,
    ) -> R<pb::RequestWithdrawalResponse> {
        withdrawals::request(self, request).await
    }

    async fn list_withdrawals(
        &self,
        request: Request<pb::ListWithdrawalsRequest>,
    ) -> R<pb::ListWithdrawalsResponse> {
        withdrawals::list(self, request).await
    }

    async fn approve_withdrawal(
        &self,
        request: Request<pb::ApproveWithdrawalRequest>,
    ) -> R<pb::ApproveWithdrawalResponse> {
        withdrawals::approve(self, request).await
    }

    async fn reject_withdrawal(
        &self,
        request: Request<pb::RejectWithdrawalRequest>,
    ) -> R<pb::RejectWithdrawalResponse> {
        withdrawals::reject(self, request).await
    }

    async fn complete_withdrawal(
        &self,
        request: Request<pb::CompleteWithdrawalRequest>,
    ) -> R<pb::CompleteWithdrawalResponse> {
        withdrawals::complete(self, request).await
    }
}
