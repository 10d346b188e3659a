//! `siyu.catalog.v1.InventoryService`: the trait impl only dispatches; each concept's handlers
//! live in `inventory/` (locations, levels, stock, transfers, reservations, sync).

use siyu_proto::catalog::v1 as pb;
use siyu_proto::catalog::v1::inventory_service_server::InventoryService;
use tonic::Request;

use super::{Handlers, R};

mod levels;
mod locations;
mod reservations;
mod stock;
mod sync;
mod transfers;

#[tonic::async_trait]
impl InventoryService for Handlers {
    async fn create_location(
        &self,
        request: Request<pb::CreateLocationRequest>,
    ) -> R<pb::CreateLocationResponse> {
        self.create_location_rpc(request).await
    }

    async fn update_location(
        &self,
        request: Request<pb::UpdateLocationRequest>,
    ) -> R<pb::UpdateLocationResponse> {
        self.update_location_rpc(request).await
    }

    async fn get_location(
        &self,
        request: Request<pb::GetLocationRequest>,
    ) -> R<pb::GetLocationResponse> {
        self.get_location_rpc(request).await
    }

    async fn list_locations(
        &self,
        request: Request<pb::ListLocationsRequest>,
    ) -> R<pb::ListLocationsResponse> {
        self.list_locations_rpc(request).await
    }

    async fn get_stock_levels(
        &self,
        request: Request<pb::GetStockLevelsRequest>,
    ) -> R<pb::GetStockLevelsResponse> {
        self.get_stock_levels_rpc(request).await
    }

    async fn list_stock_levels(
        &self,
        request: Request<pb::ListStockLevelsRequest>,
    ) -> R<pb::ListStockLevelsResponse> {
        self.list_stock_levels_rpc(request).await
    }

    async fn receive_stock(
        &self,
        request: Request<pb::ReceiveStockRequest>,
    ) -> R<pb::ReceiveStockResponse> {
        self.receive_stock_rpc(request).await
    }

    async fn adjust_stock(
        &self,
        request: Request<pb::AdjustStockRequest>,
    ) -> R<pb::AdjustStockResponse> {
        self.adjust_stock_rpc(request).await
    }

    async fn set_low_stock_thresholds(
        &self,
        request: Request<pb::SetLowStockThresholdsRequest>,
    ) -> R<pb::SetLowStockThresholdsResponse> {
        self.set_low_stock_thresholds_rpc(request).await
    }

    async fn list_stock_movements(
        &self,
        request: Request<pb::ListStockMovementsRequest>,
    ) -> R<pb::ListStockMovementsResponse> {
        self.list_stock_movements_rpc(request).await
    }

    async fn create_transfer(
        &self,
        request: Request<pb::CreateTransferRequest>,
    ) -> R<pb::CreateTransferResponse> {
        self.create_transfer_rpc(request).await
    }

    async fn ship_transfer(
        &self,
        request: Request<pb::ShipTransferRequest>,
    ) -> R<pb::ShipTransferResponse> {
        self.ship_transfer_rpc(request).await
    }

    async fn receive_transfer(
        &self,
        request: Request<pb::ReceiveTransferRequest>,
    ) -> R<pb::ReceiveTransferResponse> {
        self.receive_transfer_rpc(request).await
    }

    async fn cancel_transfer(
        &self,
        request: Request<pb::CancelTransferRequest>,
    ) -> R<pb::CancelTransferResponse> {
        self.cancel_transfer_rpc(request).await
    }

    async fn get_transfer(
        &self,
        request: Request<pb::GetTransferRequest>,
    ) -> R<pb::GetTransferResponse> {
        self.get_transfer_rpc(request).await
    }

    async fn list_transfers(
        &self,
        request: Request<pb::ListTransfersRequest>,
    ) -> R<pb::ListTransfersResponse> {
        self.list_transfers_rpc(request).await
    }

    async fn sync_stock(&self, request: Request<pb::SyncStockRequest>) -> R<pb::SyncStockResponse> {
        self.sync_stock_rpc(request).await
    }

    async fn reserve_stock(
        &self,
        request: Request<pb::ReserveStockRequest>,
    ) -> R<pb::ReserveStockResponse> {
        self.reserve_stock_rpc(request).await
    }

    async fn confirm_reservation(
        &self,
        request: Request<pb::ConfirmReservationRequest>,
    ) -> R<pb::ConfirmReservationResponse> {
        self.confirm_reservation_rpc(request).await
    }

    async fn release_reservation(
        &self,
        request: Request<pb::ReleaseReservationRequest>,
    ) -> R<pb::ReleaseReservationResponse> {
        self.release_reservation_rpc(request).await
    }

    async fn get_reservation(
        &self,
        request: Request<pb::GetReservationRequest>,
    ) -> R<pb::GetReservationResponse> {
        self.get_reservation_rpc(request).await
    }

    async fn restock_return(
        &self,
        request: Request<pb::RestockReturnRequest>,
    ) -> R<pb::RestockReturnResponse> {
        self.restock_return_rpc(request).await
    }
}
