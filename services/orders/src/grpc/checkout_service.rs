//! `siyu.orders.v1.CheckoutService`: dispatches each RPC to its handler in `checkout`.

use siyu_proto::orders::v1 as pb;
use siyu_proto::orders::v1::checkout_service_server::CheckoutService;
use tonic::Request;

use super::{Handlers, R, checkout};

#[tonic::async_trait]
impl CheckoutService for Handlers {
    async fn quote(&self, request: Request<pb::QuoteRequest>) -> R<pb::QuoteResponse> {
        checkout::quote(self, request).await
    }

    async fn checkout(&self, request: Request<pb::CheckoutRequest>) -> R<pb::CheckoutResponse> {
        checkout::checkout(self, request).await
    }
}
