//! `siyu.payments.v1.PaymentService`: dispatches each RPC to [`super::payments::payments`].

use siyu_proto::payments::v1 as pb;
use siyu_proto::payments::v1::payment_service_server::PaymentService;
use tonic::Request;

use super::payments::payments;
use super::{Handlers, R};

#[tonic::async_trait]
impl PaymentService for Handlers {
    async fn create_payment(
        &self,
        request: Request<pb::CreatePaymentRequest>,
    ) -> R<pb::CreatePaymentResponse> {
        payments::create(self, request).await
    }

    async fn get_payment(
        &self,
        request: Request<pb::GetPaymentRequest>,
    ) -> R<pb::GetPaymentResponse> {
        payments::get(self, request).await
    }

    async fn list_payments(
        &self,
        request: Request<pb::ListPaymentsRequest>,
    ) -> R<pb::ListPaymentsResponse> {
        payments::list(self, request).await
    }

    async fn query_payment(
        &self,
        request: Request<pb::QueryPaymentRequest>,
    ) -> R<pb::QueryPaymentResponse> {
        payments::query(self, request).await
    }

    async fn close_payment(
        &self,
        request: Request<pb::ClosePaymentRequest>,
    ) -> R<pb::ClosePaymentResponse> {
        payments::close(self, request).await
    }

    async fn list_payment_notifications(
        &self,
        request: Request<pb::ListPaymentNotificationsRequest>,
    ) -> R<pb::ListPaymentNotificationsResponse> {
        payments::notifications(self, request).await
    }
}
