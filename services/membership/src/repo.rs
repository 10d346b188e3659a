//! Persistence: SQL through sea-orm's connection API, returning domain types. Every query is
//! filtered by tenant.
//!
//! Statements are written once with `$n` placeholders, which sqlx accepts on Postgres and
//! SQLite alike; the one backend difference (row locks) lives in [`for_update`]. Rows are
//! decoded by `#[derive(FromQueryResult)]` structs named `*Row`, turned into domain types (ids,
//! enums, JSON lists) right here, so nothing above sees a column.

use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement, Value};
use uuid::Uuid;

use crate::AppError;

pub mod coupons;
pub mod distribution;
pub mod ledger;
pub mod members;
pub mod paid;
pub mod segments;
pub mod tags;
pub mod tiers;

/// A statement for `conn`'s backend.
pub(crate) fn stmt(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: impl IntoIterator<Item = Value>,
) -> Statement {
    Statement::from_sql_and_values(conn.get_database_backend(), sql, values)
}

/// `FOR UPDATE` on Postgres; nothing on SQLite, where the writer holds the database lock from
/// the start of its transaction (`BEGIN IMMEDIATE`).
pub(crate) fn for_update(conn: &impl ConnectionTrait) -> &'static str {
    match conn.get_database_backend() {
        DbBackend::Postgres => " FOR UPDATE",
        _ => "",
    }
}

/// The rows of a query, each decoded by its `FromQueryResult` derive.
pub(crate) async fn fetch_all<M: FromQueryResult>(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: impl IntoIterator<Item = Value>,
) -> Result<Vec<M>, AppError> {
    Ok(M::find_by_statement(stmt(conn, sql, values))
        .all(conn)
        .await?)
}

/// The first row of a query, if any, decoded by its `FromQueryResult` derive.
pub(crate) async fn fetch_one<M: FromQueryResult>(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: impl IntoIterator<Item = Value>,
) -> Result<Option<M>, AppError> {
    Ok(M::find_by_statement(stmt(conn, sql, values))
        .one(conn)
        .await?)
}

/// Runs a statement; returns the rows affected.
pub(crate) async fn execute(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: impl IntoIterator<Item = Value>,
) -> Result<u64, AppError> {
    conn.execute_raw(stmt(conn, sql, values))
        .await
        .map(|r| r.rows_affected())
        .map_err(AppError::from)
}

/// A `SELECT COUNT(*) AS n` or `SUM(…) AS n` (any single BIGINT named `n`; NULL sums are 0).
#[derive(Debug, FromQueryResult)]
pub(crate) struct Total {
    pub n: Option<i64>,
}

/// The single BIGINT `n` of a query (0 when NULL or no row).
pub(crate) async fn total(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: impl IntoIterator<Item = Value>,
) -> Result<i64, AppError> {
    let row: Option<Total> = fetch_one(conn, sql, values).await?;
    Ok(row.and_then(|r| r.n).unwrap_or(0))
}

/// A stored JSON text column as its type; corrupt JSON is an internal error.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    column: &str,
    text: &str,
) -> Result<T, AppError> {
    serde_json::from_str(text).map_err(|e| AppError::Internal(format!("column {column}: {e}")))
}

/// A value as JSON text.
pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> Result<Value, AppError> {
    serde_json::to_string(v)
        .map(Value::from)
        .map_err(|e| AppError::Internal(format!("json: {e}")))
}

/// A stored enum number as its domain type; an unknown number is corrupt data.
pub(crate) fn stored<T: TryFrom<i16, Error = String>>(value: i16) -> Result<T, AppError> {
    T::try_from(value).map_err(AppError::Internal)
}

/// A uuid as a statement value.
pub(crate) fn uuid(id: Uuid) -> Value {
    Value::Uuid(Some(id))
}

/// An optional uuid as a statement value (NULL when none).
pub(crate) fn opt_uuid(id: Option<Uuid>) -> Value {
    Value::Uuid(id)
}

/// An optional BIGINT as a statement value (NULL when none).
pub(crate) fn opt_i64(v: Option<i64>) -> Value {
    Value::BigInt(v)
}

/// `$from, $from+1, …` placeholders for an `IN (…)` list of `n` values.
pub(crate) fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// True when `err` is a unique-key violation (the caller decides what that means).
pub(crate) fn is_unique_violation(err: &sea_orm::DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}
