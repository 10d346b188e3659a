//! Persistence: SQL through sea-orm's connection API, returning domain types. Every query is
//! filtered by tenant.
//!
//! Statements are written once with `$n` placeholders, which sqlx accepts on Postgres and
//! SQLite alike; the few backend differences (row locks) live in [`for_update`]. Rows are
//! decoded by `#[derive(FromQueryResult)]` structs named `*Row`, turned into domain types
//! (ids, enums, JSON lists) right here, so nothing above sees a column.

use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement, Value};

use crate::AppError;

pub mod assortment;
pub mod categories;
pub mod locations;
pub mod prices;
pub mod products;
pub mod reservations;
pub mod skus;
pub mod stock;
pub mod storefront;
pub mod sync;
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

/// A `SELECT COUNT(*) AS n` (or any single BIGINT named `n`).
#[derive(Debug, FromQueryResult)]
pub(crate) struct Count {
    pub n: i64,
}

/// The row of a `SELECT 1 AS x … LIMIT 1` existence probe.
#[derive(Debug, FromQueryResult)]
pub(crate) struct Exists {
    #[allow(dead_code, reason = "only the row's presence matters")]
    pub x: i32,
}

/// A single id column named `id`.
#[derive(Debug, FromQueryResult)]
pub(crate) struct Id {
    pub id: uuid::Uuid,
}

/// A stored JSON text column as its type; corrupt JSON is an internal error.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    column: &str,
    text: &str,
) -> Result<T, AppError> {
    serde_json::from_str(text).map_err(|e| AppError::Internal(format!("column {column}: {e}")))
}

/// A value as JSON text.
pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_string(v)
        .unwrap_or_else(|_| "[]".into())
        .into()
}

/// A stored enum number as its domain type; an unknown number is corrupt data.
pub(crate) fn stored<T: TryFrom<i16, Error = String>>(value: i16) -> Result<T, AppError> {
    T::try_from(value).map_err(AppError::Internal)
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
