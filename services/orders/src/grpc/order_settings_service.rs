//! `siyu.orders.v1.OrderSettingsService`: dispatches each RPC to its handler in
//! `order_settings`.

use siyu_proto::orders::v1 as pb;
use siyu_proto::orders::v1::order_settings_service_server::OrderSettingsService;
use tonic::Request;

use super::{Handlers, R, order_settings};

#[tonic::async_trait]
impl OrderSettingsService for Handlers {
    async fn get_order_settings(
        &self,
        request: Request<pb::GetOrderSettingsRequest>,
    ) -> R<pb::GetOrderSettingsResponse> {
        order_settings::get(self, request).await
    }

    async fn update_order_settings(
        &self,
        request: Request<pb::UpdateOrderSettingsRequest>,
    ) -> R<pb::UpdateOrderSettingsResponse> {
        order_settings::update(self, request).await
    }
}
