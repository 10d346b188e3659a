//! `siyu.orders.v1.AfterSaleService`: dispatches each RPC to its handler in `after_sales`.

use siyu_proto::orders::v1 as pb;
use siyu_proto::orders::v1::after_sale_service_server::AfterSaleService;
use tonic::Request;

use super::{Handlers, R, after_sales};

#[tonic::async_trait]
impl AfterSaleService for Handlers {
    async fn preview_after_sale(
        &self,
        request: Request<pb::PreviewAfterSaleRequest>,
    ) -> R<pb::PreviewAfterSaleResponse> {
        after_sales::preview(self, request).await
    }

    async fn request_after_sale(
        &self,
        request: Request<pb::RequestAfterSaleRequest>,
    ) -> R<pb::RequestAfterSaleResponse> {
        after_sales::request(self, request).await
    }

    async fn get_after_sale(
        &self,
        request: Request<pb::GetAfterSaleRequest>,
    ) -> R<pb::GetAfterSaleResponse> {
        after_sales::get(self, request).await
    }

    async fn list_after_sales(
        &self,
        request: Request<pb::ListAfterSalesRequest>,
    ) -> R<pb::ListAfterSalesResponse> {
        after_sales::list(self, request).await
    }

    async fn approve_after_sale(
        &self,
        request: Request<pb::ApproveAfterSaleRequest>,
    ) -> R<pb::ApproveAfterSaleResponse> {
        after_sales::approve(self, request).await
    }

    async fn reject_after_sale(
        &self,
        request: Request<pb::RejectAfterSaleRequest>,
    ) -> R<pb::RejectAfterSaleResponse> {
        after_sales::reject(self, request).await
    }

    async fn submit_return_shipment(
        &self,
        request: Request<pb::SubmitReturnShipmentRequest>,
    ) -> R<pb::SubmitReturnShipmentResponse> {
        after_sales::submit_return(self, request).await
    }

    async fn confirm_return_received(
        &self,
        request: Request<pb::ConfirmReturnReceivedRequest>,
    ) -> R<pb::ConfirmReturnReceivedResponse> {
        after_sales::confirm_return(self, request).await
    }

    async fn cancel_after_sale(
        &self,
        request: Request<pb::CancelAfterSaleRequest>,
    ) -> R<pb::CancelAfterSaleResponse> {
        after_sales::cancel(self, request).await
    }
}
