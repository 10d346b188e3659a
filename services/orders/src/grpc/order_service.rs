//! `siyu.orders.v1.OrderService`: dispatches each RPC to its handler in `orders`.

use siyu_proto::orders::v1 as pb;
use siyu_proto::orders::v1::order_service_server::OrderService;
use tonic::Request;

use super::{Handlers, R, orders};

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
}
