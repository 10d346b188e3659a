//! Reconciliation (对账) of payments and refunds against the PSP's daily bill.
//!
//! - [`imports`]: a day's bill requested (one per tenant, provider and day), then downloaded,
//!   hash-checked and parsed by a task of its own; a download cut off by a restart is picked up
//!   again by the jobs pass;
//! - [`matching`]: a run of a day — bill rows against local payments and refunds — recording
//!   new mismatches and closing earlier ones that now match;
//! - [`daily`]: the jobs pass's step: yesterday's bill imported and matched after 10:30
//!   Asia/Shanghai for every tenant with a WeChat Pay merchant, and stale work resumed;
//! - [`mismatches`]: staff resolving what differs.
//!
//! Dates are the PSP's day in Asia/Shanghai; "today" comes from the service clock.

use chrono::{DateTime, FixedOffset, NaiveDate, Offset as _, TimeZone as _, Utc};

use crate::AppError;

pub mod daily;
pub mod imports;
pub mod matching;
pub mod mismatches;

/// How far back a bill can be imported (WeChat keeps about three months).
pub const MAX_AGE_DAYS: i64 = 90;
/// A download or run untouched this long died with its process: the jobs pass takes it over.
pub const STALE_MS: i64 = 120_000;

/// The only provider with a bill in v1 (`PAYMENT_PROVIDER_WECHAT_PAY_JSAPI`).
pub const WECHAT_PAY: i16 = 1;

/// `BillImportStatus` numbers.
pub mod import_status {
    /// Requested; the download has not finished.
    pub const DOWNLOADING: i16 = 1;
    /// Rows stored.
    pub const IMPORTED: i16 = 2;
    /// The PSP has no bill yet; retried hourly.
    pub const NOT_READY: i16 = 3;
    /// Download or parsing failed.
    pub const FAILED: i16 = 4;
}

/// `ReconciliationRunStatus` numbers.
pub mod run_status {
    /// Matching.
    pub const RUNNING: i16 = 1;
    /// Done.
    pub const COMPLETED: i16 = 2;
    /// Failed.
    pub const FAILED: i16 = 3;
}

/// `MismatchKind` numbers.
pub mod kind {
    /// In the bill, not (successful) locally.
    pub const MISSING_LOCALLY: i16 = 1;
    /// Successful locally, not in the bill.
    pub const MISSING_AT_PSP: i16 = 2;
    /// Amounts differ.
    pub const AMOUNT_DIFFERS: i16 = 3;
    /// Statuses differ.
    pub const STATUS_DIFFERS: i16 = 4;
}

/// `MismatchSubject` numbers.
pub mod subject {
    /// A payment.
    pub const PAYMENT: i16 = 1;
    /// A refund.
    pub const REFUND: i16 = 2;
}

/// `MismatchResolution` numbers.
pub mod resolution {
    /// Open.
    pub const OPEN: i16 = 0;
    /// A later run found both sides equal.
    pub const AUTO_MATCHED: i16 = 1;
    /// The last number staff may choose (`ACCEPTED`).
    pub const LAST: i16 = 5;
}

/// What reconciliation refuses; told to callers in `grpc/reconciliation/error.rs`.
#[derive(Debug, thiserror::Error)]
pub enum ReconciliationError {
    /// No such import in the tenant.
    #[error("bill import not found")]
    BillImportNotFound,
    /// No such run in the tenant.
    #[error("reconciliation run not found")]
    RunNotFound,
    /// No such mismatch in the tenant.
    #[error("mismatch not found")]
    MismatchNotFound,
    /// The day's bill is not IMPORTED (its status number, 0 when never requested).
    #[error("bill not imported (status {0})")]
    BillNotImported(i16),
    /// The mismatch was resolved already (its resolution number).
    #[error("mismatch already resolved ({0})")]
    AlreadyResolved(i16),
}

/// A day's bill as imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillImport {
    /// The import id.
    pub id: uuid::Uuid,
    /// `PaymentProvider` number.
    pub provider: i16,
    /// The day.
    pub bill_date: NaiveDate,
    /// The merchant whose bill it is.
    pub merchant_id: String,
    /// `BillImportStatus` number.
    pub status: i16,
    /// Payment rows.
    pub payment_row_count: i32,
    /// Refund rows.
    pub refund_row_count: i32,
    /// Σ payments, fen.
    pub payment_total_fen: i64,
    /// Σ refunds, fen.
    pub refund_total_fen: i64,
    /// Σ fees in 0.00001 yuan.
    pub fee_total: i64,
    /// SHA-256 of the file, hex.
    pub file_sha256: String,
    /// Why it failed.
    pub error_reason: String,
    /// Requested.
    pub requested_at_ms: i64,
    /// Imported.
    pub imported_at_ms: Option<i64>,
}

/// One matching of a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// The run id.
    pub id: uuid::Uuid,
    /// `PaymentProvider` number.
    pub provider: i16,
    /// The day.
    pub bill_date: NaiveDate,
    /// The import matched.
    pub bill_import_id: uuid::Uuid,
    /// `ReconciliationRunStatus` number.
    pub status: i16,
    /// Rows matched exactly.
    pub matched_count: i32,
    /// New mismatches.
    pub mismatch_count: i32,
    /// Earlier mismatches closed as AUTO_MATCHED.
    pub auto_resolved_count: i32,
    /// Σ local successful payments of the day, fen.
    pub local_payment_total_fen: i64,
    /// Σ bill payments, fen.
    pub psp_payment_total_fen: i64,
    /// Σ local successful refunds of the day, fen.
    pub local_refund_total_fen: i64,
    /// Σ bill refunds, fen.
    pub psp_refund_total_fen: i64,
    /// Why it failed.
    pub error_reason: String,
    /// Staff who started it; empty for the job.
    pub started_by_staff_id: String,
    /// Start.
    pub started_at_ms: i64,
    /// End.
    pub finished_at_ms: Option<i64>,
}

/// One difference between the bill and local records.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Mismatch {
    /// The mismatch id.
    pub id: uuid::Uuid,
    /// The run that found it.
    pub run_id: uuid::Uuid,
    /// The day.
    pub bill_date: String,
    /// What names it across runs ("P:<out_trade_no>", "R:<out_refund_no>").
    pub match_key: String,
    /// `MismatchKind` number.
    pub kind: i16,
    /// `MismatchSubject` number.
    pub subject: i16,
    /// The merchant order number.
    pub out_trade_no: String,
    /// The merchant refund number.
    pub out_refund_no: String,
    /// The PSP transaction id.
    pub psp_transaction_id: String,
    /// The PSP refund id.
    pub psp_refund_id: String,
    /// The local order.
    pub order_id: Option<uuid::Uuid>,
    /// The local payment.
    pub payment_id: Option<uuid::Uuid>,
    /// The local refund.
    pub refund_id: Option<uuid::Uuid>,
    /// The local amount, fen.
    pub local_fen: Option<i64>,
    /// The PSP amount, fen.
    pub psp_fen: Option<i64>,
    /// The local status name.
    pub local_status: String,
    /// The bill's status text.
    pub psp_status: String,
    /// `MismatchResolution` number.
    pub resolution: i16,
    /// The note.
    pub resolution_note: String,
    /// Who resolved it.
    pub resolved_by_staff_id: String,
    /// When.
    pub resolved_at_ms: Option<i64>,
    /// When it was found.
    pub detected_at_ms: i64,
}

/// The PSP's time zone (Asia/Shanghai has had no DST since 1991).
pub fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix())
}

/// The Asia/Shanghai day of `at`.
pub fn day_of(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&shanghai()).date_naive()
}

/// The first millisecond of `day` in Asia/Shanghai.
pub fn day_start_ms(day: NaiveDate) -> i64 {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    shanghai()
        .from_local_datetime(&midnight)
        .single()
        .map_or(0, |t| t.timestamp_millis())
}

/// A request's `bill_date`: `YYYY-MM-DD` exactly.
pub fn parse_date(field: &str, value: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        .filter(|d| d.format("%Y-%m-%d").to_string() == value)
        .ok_or_else(|| AppError::invalid(field, "must be a date YYYY-MM-DD"))
}

/// A day that can have a bill: before `today`, at most [`MAX_AGE_DAYS`] back.
pub fn billable(field: &str, value: &str, today: NaiveDate) -> Result<NaiveDate, AppError> {
    let day = parse_date(field, value)?;
    if day >= today {
        return Err(AppError::invalid(
            field,
            "must be before today (Asia/Shanghai)",
        ));
    }
    if (today - day).num_days() > MAX_AGE_DAYS {
        return Err(AppError::invalid(field, "must be within the last 90 days"));
    }
    Ok(day)
}

/// A request's provider: WeChat Pay JSAPI only.
pub fn provider(value: i32) -> Result<i16, AppError> {
    if value == i32::from(WECHAT_PAY) {
        Ok(WECHAT_PAY)
    } else {
        Err(AppError::invalid(
            "provider",
            "must be PAYMENT_PROVIDER_WECHAT_PAY_JSAPI",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_exact_and_bounded() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 8).unwrap();
        assert!(billable("d", "2026-12-07", today).is_ok());
        assert!(billable("d", "2026-9-09", today).is_err());
        assert!(billable("d", "2026-12-08", today).is_err());
        assert!(billable("d", "2026-12-09", today).is_err());
        assert!(billable("d", "2026-09-09", today).is_ok());
        assert!(billable("d", "2026-09-08", today).is_err());
        assert!(billable("d", "20261207", today).is_err());
    }

    #[test]
    fn a_shanghai_day_starts_at_16_utc() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        assert_eq!(day_start_ms(day), 1_796_572_800_000);
    }
}
