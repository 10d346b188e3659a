//! `siyu.membership.v1.CouponService`: dispatches each RPC to its handler in `coupons`.

use siyu_proto::membership::v1 as pb;
use siyu_proto::membership::v1::coupon_service_server::CouponService;
use tonic::Request;

use super::{Handlers, R, coupons};

#[tonic::async_trait]
impl CouponService for Handlers {
    async fn create_coupon_template(
        &self,
        request: Request<pb::CreateCouponTemplateRequest>,
    ) -> R<pb::CreateCouponTemplateResponse> {
        coupons::templates::create(self, request).await
    }

    async fn update_coupon_template(
        &self,
        request: Request<pb::UpdateCouponTemplateRequest>,
    ) -> R<pb::UpdateCouponTemplateResponse> {
        coupons::templates::update(self, request).await
    }

    async fn get_coupon_template(
        &self,
        request: Request<pb::GetCouponTemplateRequest>,
    ) -> R<pb::GetCouponTemplateResponse> {
        coupons::templates::get(self, request).await
    }

    async fn list_coupon_templates(
        &self,
        request: Request<pb::ListCouponTemplatesRequest>,
    ) -> R<pb::ListCouponTemplatesResponse> {
        coupons::templates::list(self, request).await
    }

    async fn publish_coupon_template(
        &self,
        request: Request<pb::PublishCouponTemplateRequest>,
    ) -> R<pb::PublishCouponTemplateResponse> {
        coupons::templates::publish(self, request).await
    }

    async fn stop_coupon_template(
        &self,
        request: Request<pb::StopCouponTemplateRequest>,
    ) -> R<pb::StopCouponTemplateResponse> {
        coupons::templates::stop(self, request).await
    }

    async fn create_coupon_pack(
        &self,
        request: Request<pb::CreateCouponPackRequest>,
    ) -> R<pb::CreateCouponPackResponse> {
        coupons::packs::create(self, request).await
    }

    async fn update_coupon_pack(
        &self,
        request: Request<pb::UpdateCouponPackRequest>,
    ) -> R<pb::UpdateCouponPackResponse> {
        coupons::packs::update(self, request).await
    }

    async fn list_coupon_packs(
        &self,
        request: Request<pb::ListCouponPacksRequest>,
    ) -> R<pb::ListCouponPacksResponse> {
        coupons::packs::list(self, request).await
    }

    async fn claim_coupon(
        &self,
        request: Request<pb::ClaimCouponRequest>,
    ) -> R<pb::ClaimCouponResponse> {
        coupons::issue::claim(self, request).await
    }

    async fn grant_coupons(
        &self,
        request: Request<pb::GrantCouponsRequest>,
    ) -> R<pb::GrantCouponsResponse> {
        coupons::issue::grant(self, request).await
    }

    async fn grant_coupons_to_segment(
        &self,
        request: Request<pb::GrantCouponsToSegmentRequest>,
    ) -> R<pb::GrantCouponsToSegmentResponse> {
        coupons::segment_grants::grant(self, request).await
    }

    async fn get_coupon_grant(
        &self,
        request: Request<pb::GetCouponGrantRequest>,
    ) -> R<pb::GetCouponGrantResponse> {
        coupons::issue::get_grant(self, request).await
    }

    async fn list_member_coupons(
        &self,
        request: Request<pb::ListMemberCouponsRequest>,
    ) -> R<pb::ListMemberCouponsResponse> {
        coupons::reads::list(self, request).await
    }

    async fn get_coupon(&self, request: Request<pb::GetCouponRequest>) -> R<pb::GetCouponResponse> {
        coupons::reads::get(self, request).await
    }

    async fn revoke_coupon(
        &self,
        request: Request<pb::RevokeCouponRequest>,
    ) -> R<pb::RevokeCouponResponse> {
        coupons::reads::revoke(self, request).await
    }

    async fn list_usable_coupons(
        &self,
        request: Request<pb::ListUsableCouponsRequest>,
    ) -> R<pb::ListUsableCouponsResponse> {
        coupons::checkout::usable(self, request).await
    }

    async fn lock_coupons(
        &self,
        request: Request<pb::LockCouponsRequest>,
    ) -> R<pb::LockCouponsResponse> {
        coupons::checkout::lock(self, request).await
    }

    async fn use_coupons(
        &self,
        request: Request<pb::UseCouponsRequest>,
    ) -> R<pb::UseCouponsResponse> {
        coupons::checkout::use_(self, request).await
    }

    async fn release_coupons(
        &self,
        request: Request<pb::ReleaseCouponsRequest>,
    ) -> R<pb::ReleaseCouponsResponse> {
        coupons::checkout::release(self, request).await
    }

    async fn restore_coupons(
        &self,
        request: Request<pb::RestoreCouponsRequest>,
    ) -> R<pb::RestoreCouponsResponse> {
        coupons::checkout::restore(self, request).await
    }

    async fn issue_coupon_redemption_code(
        &self,
        request: Request<pb::IssueCouponRedemptionCodeRequest>,
    ) -> R<pb::IssueCouponRedemptionCodeResponse> {
        coupons::in_store::issue_code(self, request).await
    }

    async fn redeem_coupon_in_store(
        &self,
        request: Request<pb::RedeemCouponInStoreRequest>,
    ) -> R<pb::RedeemCouponInStoreResponse> {
        coupons::in_store::redeem(self, request).await
    }

    async fn reverse_in_store_redemption(
        &self,
        request: Request<pb::ReverseInStoreRedemptionRequest>,
    ) -> R<pb::ReverseInStoreRedemptionResponse> {
        coupons::in_store::reverse(self, request).await
    }

    async fn get_coupon_template_stats(
        &self,
        request: Request<pb::GetCouponTemplateStatsRequest>,
    ) -> R<pb::GetCouponTemplateStatsResponse> {
        coupons::templates::stats(self, request).await
    }
}
