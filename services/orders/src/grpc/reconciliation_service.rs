//! `siyu.payments.v1.ReconciliationService`: dispatches each RPC to its handler in
//! `reconciliation`.

use siyu_proto::payments::v1 as pb;
use siyu_proto::payments::v1::reconciliation_service_server::ReconciliationService;
use tonic::Request;

use super::{Handlers, R, reconciliation};

#[tonic::async_trait]
impl ReconciliationService for Handlers {
    async fn import_bill(
        &self,
        request: Request<pb::ImportBillRequest>,
    ) -> R<pb::ImportBillResponse> {
        reconciliation::import_bill(self, request).await
    }

    async fn get_bill_import(
        &self,
        request: Request<pb::GetBillImportRequest>,
    ) -> R<pb::GetBillImportResponse> {
        reconciliation::get_bill_import(self, request).await
    }

    async fn list_bill_imports(
        &self,
        request: Request<pb::ListBillImportsRequest>,
    ) -> R<pb::ListBillImportsResponse> {
        reconciliation::list_bill_imports(self, request).await
    }

    async fn run_reconciliation(
        &self,
        request: Request<pb::RunReconciliationRequest>,
    ) -> R<pb::RunReconciliationResponse> {
        reconciliation::run(self, request).await
    }

    async fn get_reconciliation_run(
        &self,
        request: Request<pb::GetReconciliationRunRequest>,
    ) -> R<pb::GetReconciliationRunResponse> {
        reconciliation::get_run(self, request).await
    }

    async fn list_reconciliation_runs(
        &self,
        request: Request<pb::ListReconciliationRunsRequest>,
    ) -> R<pb::ListReconciliationRunsResponse> {
        reconciliation::list_runs(self, request).await
    }

    async fn list_mismatches(
        &self,
        request: Request<pb::ListMismatchesRequest>,
    ) -> R<pb::ListMismatchesResponse> {
        reconciliation::list_mismatches(self, request).await
    }

    async fn resolve_mismatch(
        &self,
        request: Request<pb::ResolveMismatchRequest>,
    ) -> R<pb::ResolveMismatchResponse> {
        reconciliation::resolve(self, request).await
    }
}
