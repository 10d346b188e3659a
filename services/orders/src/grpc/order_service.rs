//! `siyu.orders.v1.OrderService`: dispatches each RPC to its handler in `orders` (reads, the
//! consumer's cancel) or `fulfilment` (the staff side).

use siyu_proto::orders::v1 as pb;
use siyu_proto::orders::v1::order_service_server::OrderService;
use tonic::Request;

use super::{Handlers, R, fulfilment, orders};

#[tonic::async_trait]
impl OrderService for Handlers {
    async fn get_order(&self, request: Request<pb::GetOrderRequest>) -> R<pb::GetOrderResponse> {
        orders::get(self, request).await
    }

    async fn get_order_by_no(
        &self,
        request: Request<pb::GetOrderByNoRequest>,
    ) -> R<pb::GetOrderByNoResponse> {
        orders::get_by_no(self, request).await
    }

    async fn list_my_orders(
        &self,
        request: Request<pb::ListMyOrdersRequest>,
    ) -> R<pb::ListMyOrdersResponse> {
        orders::list_mine(self, request).await
    }

    async fn cancel_order(
        &self,
        request: Request<pb::CancelOrderRequest>,
    ) -> R<pb::CancelOrderResponse> {
        orders::cancel(self, request).await
    }

    async fn list_store_orders(
        &self,
        request: Request<pb::ListStoreOrdersRequest>,
    ) -> R<pb::ListStoreOrdersResponse> {
        fulfilment::list_store(self, request).await
    }

    async fn staff_cancel_order(
        &self,
        request: Request<pb::StaffCancelOrderRequest>,
    ) -> R<pb::StaffCancelOrderResponse> {
        fulfilment::staff_cancel(self, request).await
    }

    async fn mark_order_preparing(
        &self,
        request: Request<pb::MarkOrderPreparingRequest>,
    ) -> R<pb::MarkOrderPreparingResponse> {
        fulfilment::prepare(self, request).await
    }

    async fn ship_order(&self, request: Request<pb::ShipOrderRequest>) -> R<pb::ShipOrderResponse> {
        fulfilment::ship(self, request).await
    }

    async fn mark_order_ready_for_pickup(
        &self,
        request: Request<pb::MarkOrderReadyForPickupRequest>,
    ) -> R<pb::MarkOrderReadyForPickupResponse> {
        fulfilment::ready_for_pickup(self, request).await
    }

    async fn verify_pickup_code(
        &self,
        request: Request<pb::VerifyPickupCodeRequest>,
    ) -> R<pb::VerifyPickupCodeResponse> {
        fulfilment::verify_pickup(self, request).await
    }

    async fn complete_order(
        &self,
        request: Request<pb::CompleteOrderRequest>,
    ) -> R<pb::CompleteOrderResponse> {
        fulfilment::complete(self, request).await
    }

    async fn update_shipment(
        &self,
        request: Request<pb::UpdateShipmentRequest>,
    ) -> R<pb::UpdateShipmentResponse> {
        fulfilment::update_shipment(self, request).await
    }
}
