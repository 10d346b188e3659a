//! `siyu.payments.v1.RefundService`: dispatches each RPC to its handler in `refunds`.

use siyu_proto::payments::v1 as pb;
use siyu_proto::payments::v1::refund_service_server::RefundService;
use tonic::Request;

use super::{Handlers, R, refunds};

#[tonic::async_trait]
impl RefundService for Handlers {
    async fn get_refund(&self, request: Request<pb::GetRefundRequest>) -> R<pb::GetRefundResponse> {
        refunds::get(self, request).await
    }

    async fn list_refunds(
        &self,
        request: Request<pb::ListRefundsRequest>,
    ) -> R<pb::ListRefundsResponse> {
        refunds::list(self, request).await
    }

    async fn query_refund(
        &self,
        request: Request<pb::QueryRefundRequest>,
    ) -> R<pb::QueryRefundResponse> {
        refunds::query(self, request).await
    }

    async fn retry_refund(
        &self,
        request: Request<pb::RetryRefundRequest>,
    ) -> R<pb::RetryRefundResponse> {
        refunds::retry(self, request).await
    }
}
