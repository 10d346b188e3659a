//! `siyu.payments.v1.PaymentService`: dispatches each RPC to [`super::payments::attempts`].

use siyu_proto::payments::v1 as pb;
use siyu_proto::payments::v1::payment_service_server::PaymentService;
use tonic::Request;

use super::payments::attempts;
use super::{Handlers, R};

#[tonic::async_trait]
impl PaymentService for Handlers {
    async fn create_payment(
        &self,
        request: Request<pb::CreatePaymentRequest>,
    ) -> R<pb::CreatePaymentResponse> {
        attempts::create(self, request).await
    }

    async fn get_payment(
        &self,
        request: Request<pb::GetPaymentRequest>,
    ) -> R<pb::GetPaymentResponse> {
        attempts::get(self, request).await
    }

    async fn list_payments(
        &self,
        request: Request<pb::ListPaymentsRequest>,
    ) -> R<pb::ListPaymentsResponse> {
        attempts::list(self, request).await
    }

    async fn query_payment(
        &self,
        request: Request<pb::QueryPaymentRequest>,
    ) -> R<pb::QueryPaymentResponse> {
        attempts::query(self, request).await
    }

    async fn close_payment(
        &self,
        request: Request<pb::ClosePaymentRequest>,
    ) -> R<pb::ClosePaymentResponse> {
        attempts::close(self, request).await
    }

    async fn list_payment_notifications(
        &self,
        request: Request<pb::ListPaymentNotificationsRequest>,
    ) -> R<pb::ListPaymentNotificationsResponse> {
        attempts::notifications(self, request).await
    }
}
