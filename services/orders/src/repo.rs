//! Persistence of orders and payments: SQL through sea-orm's connection API with the shared
//! helpers of [`siyu_store::sql`], one module per concept (named as in `app/` and `grpc/`),
//! every query filtered by tenant. Rows are decoded by `#[derive(FromQueryResult)]` structs
//! named `*Row` and turned into domain types right here, so nothing above sees a column.

pub(crate) use siyu_store::sql::{
    execute, fetch_all, fetch_one, for_update, from_json, is_unique_violation, opt_i64, opt_uuid,
    placeholders, stmt, to_json, uuid,
};

use crate::AppError;

pub mod after_sales;
pub mod carts;
pub mod checkouts;
pub mod erasure;
pub mod merges;
pub mod orders;
pub mod payments;
pub mod reconciliation;
pub mod refunds;
pub mod settings;
pub mod tasks;

/// A stored enum number as its domain type; an unknown number is corrupt data.
pub(crate) fn stored<T: TryFrom<i16, Error = String>>(value: i16) -> Result<T, AppError> {
    T::try_from(value).map_err(AppError::Internal)
}
