//! `siyu.orders.v1.CartService`: dispatches each RPC to its handler in `carts`.

use siyu_proto::orders::v1 as pb;
use siyu_proto::orders::v1::cart_service_server::CartService;
use tonic::Request;

use super::{Handlers, R, carts};

#[tonic::async_trait]
impl CartService for Handlers {
    async fn get_cart(&self, request: Request<pb::GetCartRequest>) -> R<pb::GetCartResponse> {
        carts::get(self, request).await
    }

    async fn add_cart_line(
        &self,
        request: Request<pb::AddCartLineRequest>,
    ) -> R<pb::AddCartLineResponse> {
        carts::add(self, request).await
    }

    async fn update_cart_line(
        &self,
        request: Request<pb::UpdateCartLineRequest>,
    ) -> R<pb::UpdateCartLineResponse> {
        carts::update(self, request).await
    }

    async fn remove_cart_lines(
        &self,
        request: Request<pb::RemoveCartLinesRequest>,
    ) -> R<pb::RemoveCartLinesResponse> {
        carts::remove(self, request).await
    }

    async fn select_cart_lines(
        &self,
        request: Request<pb::SelectCartLinesRequest>,
    ) -> R<pb::SelectCartLinesResponse> {
        carts::select(self, request).await
    }

    async fn set_cart_fulfilment(
        &self,
        request: Request<pb::SetCartFulfilmentRequest>,
    ) -> R<pb::SetCartFulfilmentResponse> {
        carts::set_fulfilment(self, request).await
    }
}
