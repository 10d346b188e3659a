//! `siyu.catalog.v1.InventoryService`: dispatches each RPC to its concept's handler
//! (`locations`, `stock`, `transfers`, `sync`, `reservations`).

use siyu_proto::catalog::v1 as pb;
use siyu_proto::catalog::v1::inventory_service_server::InventoryService;
use tonic::Request;

use super::{Handlers, R, locations, reservations, stock, sync, transfers};

#[tonic::async_trait]
impl InventoryService for Handlers {
    async fn create_location(
        &self,
        request: Request<pb::CreateLocationRequest>,
    ) -> R<pb::CreateLocationResponse> {
        locations::create(self, request).await
    }

    async fn update_location(
        &self,
        request: Request<pb::UpdateLocationRequest>,
    ) -> R<pb::UpdateLocationResponse> {
        locations::update(self, request).await
    }

    async fn get_location(
        &self,
        request: Request<pb::GetLocationRequest>,
    ) -> R<pb::GetLocationResponse> {
        locations::get(self, request).await
    }

    async fn list_locations(
        &self,
        request: Request<pb::ListLocationsRequest>,
    ) -> R<pb::ListLocationsResponse> {
        locations::list(self, request).await
    }

    async fn get_stock_levels(
        &self,
        request: Request<pb::GetStockLevelsRequest>,
    ) -> R<pb::GetStockLevelsResponse> {
        stock::levels::get(self, request).await
    }

    async fn list_stock_levels(
        &self,
        request: Request<pb::ListStockLevelsRequest>,
    ) -> R<pb::ListStockLevelsResponse> {
        stock::levels::list(self, request).await
    }

    async fn receive_stock(
        &self,
        request: Request<pb::ReceiveStockRequest>,
    ) -> R<pb::ReceiveStockResponse> {
        stock::receive(self, request).await
    }

    async fn adjust_stock(
        &self,
        request: Request<pb::AdjustStockRequest>,
    ) -> R<pb::AdjustStockResponse> {
        stock::adjust(self, request).await
    }

    async fn set_low_stock_thresholds(
        &self,
        request: Request<pb::SetLowStockThresholdsRequest>,
    ) -> R<pb::SetLowStockThresholdsResponse> {
        stock::levels::set_thresholds(self, request).await
    }

    async fn list_stock_movements(
        &self,
        request: Request<pb::ListStockMovementsRequest>,
    ) -> R<pb::ListStockMovementsResponse> {
        stock::levels::movements(self, request).await
    }

    async fn create_transfer(
        &self,
        request: Request<pb::CreateTransferRequest>,
    ) -> R<pb::CreateTransferResponse> {
        transfers::create(self, request).await
    }

    async fn ship_transfer(
        &self,
        request: Request<pb::ShipTransferRequest>,
    ) -> R<pb::ShipTransferResponse> {
        transfers::ship(self, request).await
    }

    async fn receive_transfer(
        &self,
        request: Request<pb::ReceiveTransferRequest>,
    ) -> R<pb::ReceiveTransferResponse> {
        transfers::receive(self, request).await
    }

    async fn cancel_transfer(
        &self,
        request: Request<pb::CancelTransferRequest>,
    ) -> R<pb::CancelTransferResponse> {
        transfers::cancel(self, request).await
    }

    async fn get_transfer(
        &self,
        request: Request<pb::GetTransferRequest>,
    ) -> R<pb::GetTransferResponse> {
        transfers::get(self, request).await
    }

    async fn list_transfers(
        &self,
        request: Request<pb::ListTransfersRequest>,
    ) -> R<pb::ListTransfersResponse> {
        transfers::list(self, request).await
    }

    async fn sync_stock(&self, request: Request<pb::SyncStockRequest>) -> R<pb::SyncStockResponse> {
        sync::sync_stock(self, request).await
    }

    async fn reserve_stock(
        &self,
        request: Request<pb::ReserveStockRequest>,
    ) -> R<pb::ReserveStockResponse> {
        reservations::reserve(self, request).await
    }

    async fn confirm_reservation(
        &self,
        request: Request<pb::ConfirmReservationRequest>,
    ) -> R<pb::ConfirmReservationResponse> {
        reservations::confirm(self, request).await
    }

    async fn release_reservation(
        &self,
        request: Request<pb::ReleaseReservationRequest>,
    ) -> R<pb::ReleaseReservationResponse> {
        reservations::release(self, request).await
    }

    async fn get_reservation(
        &self,
        request: Request<pb::GetReservationRequest>,
    ) -> R<pb::GetReservationResponse> {
        reservations::get(self, request).await
    }

    async fn restock_return(
        &self,
        request: Request<pb::RestockReturnRequest>,
    ) -> R<pb::RestockReturnResponse> {
        reservations::restock(self, request).await
    }
}
