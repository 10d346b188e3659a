//! What each [`ReconciliationError`] tells a caller: code, reason, metadata.

use siyu_server::Described;
use tonic::Code;

use crate::app::reconciliation::ReconciliationError;

/// The code, reason and metadata of `err`.
pub fn describe(err: &ReconciliationError) -> Described {
    use ReconciliationError as E;
    match err {
        E::BillImportNotFound => Described::new(Code::NotFound, "BILL_IMPORT_NOT_FOUND"),
        E::RunNotFound => Described::new(Code::NotFound, "RECONCILIATION_RUN_NOT_FOUND"),
        E::MismatchNotFound => Described::new(Code::NotFound, "MISMATCH_NOT_FOUND"),
        E::BillNotImported(status) => {
            let name = siyu_proto::payments::v1::BillImportStatus::try_from(i32::from(*status))
                .map_or("BILL_IMPORT_STATUS_UNSPECIFIED", |s| s.as_str_name());
            Described::new(Code::FailedPrecondition, "BILL_NOT_IMPORTED")
                .meta("bill_import_status", name)
                .message("import the day's bill first")
        }
        E::AlreadyResolved(resolution) => {
            let name =
                siyu_proto::payments::v1::MismatchResolution::try_from(i32::from(*resolution))
                    .map_or("MISMATCH_RESOLUTION_UNSPECIFIED", |s| s.as_str_name());
            Described::new(Code::FailedPrecondition, "MISMATCH_ALREADY_RESOLVED")
                .meta("resolution", name)
        }
    }
}
