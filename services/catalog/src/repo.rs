//! Persistence: SQL through sea-orm's connection API, returning domain types. Every query is
//! filtered by tenant.
//!
//! Statements are written once with `$n` placeholders, which sqlx accepts on Postgres and
//! SQLite alike; the few backend differences (row locks) live in [`for_update`].

use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};
use siyu_store::StoreError;

use crate::app::AppError;

pub mod assortment;
pub mod categories;
pub mod locations;
pub mod movements;
pub mod prices;
pub mod products;
pub mod reservations;
pub mod search;
pub mod skus;
pub mod stock;
pub mod syncs;
pub mod transfers;

/// A statement for `conn`'s backend.
pub(crate) fn stmt(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: impl IntoIterator<Item = Value>,
) -> Statement {
    Statement::from_sql_and_values(conn.get_database_backend(), sql, values)
}

/// `FOR UPDATE` on Postgres; nothing on SQLite, where the writer holds the database lock.
pub(crate) fn for_update(conn: &impl ConnectionTrait) -> &'static str {
    match conn.get_database_backend() {
        DbBackend::Postgres => " FOR UPDATE",
        _ => "",
    }
}

/// Reads a column, turning decode failures into `Internal`.
pub(crate) fn col<T: sea_orm::TryGetable>(row: &QueryResult, name: &str) -> Result<T, AppError> {
    row.try_get::<T>("", name)
        .map_err(|e| AppError::Internal(format!("column {name}: {e}")))
}

/// Runs a query returning rows.
pub(crate) async fn query_all(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: impl IntoIterator<Item = Value>,
) -> Result<Vec<QueryResult>, AppError> {
    conn.query_all_raw(stmt(conn, sql, values))
        .await
        .map_err(|e| StoreError::from(e).into())
}

/// Runs a query returning at most one row.
pub(crate) async fn query_one(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: impl IntoIterator<Item = Value>,
) -> Result<Option<QueryResult>, AppError> {
    conn.query_one_raw(stmt(conn, sql, values))
        .await
        .map_err(|e| StoreError::from(e).into())
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
        .map_err(|e| StoreError::from(e).into())
}

/// `$from, $from+1, …` placeholders for an `IN (…)` list of `n` values.
pub(crate) fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A uuid as a statement value.
pub(crate) fn uuid(id: uuid::Uuid) -> Value {
    Value::Uuid(Some(id))
}

/// True when `err` is a unique-key violation (the caller decides what that means).
pub(crate) fn is_unique_violation(err: &sea_orm::DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// Escapes `%`, `_` and `\` for a `LIKE` pattern (both backends default to `\` as escape only
/// with `ESCAPE`, so callers match literally by removing them instead).
pub(crate) fn like_escape(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '%' | '_' | '\\'))
        .collect()
}
