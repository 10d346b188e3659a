//! Raw SQL over sea-orm's connection, the way every service's `repo/` writes it: statements
//! written once with `$n` placeholders (sqlx accepts them on Postgres and SQLite alike), rows
//! decoded by `#[derive(FromQueryResult)]` structs, values built by the helpers here. The one
//! backend difference that matters to callers, row locks, is [`for_update`].

use sea_orm::{ConnectionTrait, DbBackend, DbErr, FromQueryResult, Statement, Value};
use uuid::Uuid;

use crate::StoreError;

/// A statement for `conn`'s backend.
pub fn stmt(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: impl IntoIterator<Item = Value>,
) -> Statement {
    Statement::from_sql_and_values(conn.get_database_backend(), sql, values)
}

/// `FOR UPDATE` on Postgres; nothing on SQLite, where the writer holds the database lock from
/// the start of its transaction (`BEGIN IMMEDIATE`).
pub fn for_update(conn: &impl ConnectionTrait) -> &'static str {
    match conn.get_database_backend() {
        DbBackend::Postgres => " FOR UPDATE",
        _ => "",
    }
}

/// The rows of a query, each decoded by its `FromQueryResult` derive.
///
/// # Errors
/// The database's.
pub async fn fetch_all<M: FromQueryResult>(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: impl IntoIterator<Item = Value>,
) -> Result<Vec<M>, DbErr> {
    M::find_by_statement(stmt(conn, sql, values))
        .all(conn)
        .await
}

/// The first row of a query, if any, decoded by its `FromQueryResult` derive.
///
/// # Errors
/// The database's.
pub async fn fetch_one<M: FromQueryResult>(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: impl IntoIterator<Item = Value>,
) -> Result<Option<M>, DbErr> {
    M::find_by_statement(stmt(conn, sql, values))
        .one(conn)
        .await
}

/// Runs a statement; returns the rows affected.
///
/// # Errors
/// The database's.
pub async fn execute(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: impl IntoIterator<Item = Value>,
) -> Result<u64, DbErr> {
    conn.execute_raw(stmt(conn, sql, values))
        .await
        .map(|r| r.rows_affected())
}

/// A `SELECT COUNT(*) AS n` or `SUM(…) AS n` (any single BIGINT named `n`; NULL sums are 0).
#[derive(Debug, FromQueryResult)]
struct Total {
    n: Option<i64>,
}

/// The single BIGINT `n` of a query (0 when NULL or no row).
///
/// # Errors
/// The database's.
pub async fn total(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: impl IntoIterator<Item = Value>,
) -> Result<i64, DbErr> {
    let row: Option<Total> = fetch_one(conn, sql, values).await?;
    Ok(row.and_then(|r| r.n).unwrap_or(0))
}

/// A stored JSON text column of `table` as its type.
///
/// # Errors
/// [`StoreError::Corrupt`] when the text is not that type's JSON.
pub fn from_json<T: serde::de::DeserializeOwned>(
    table: &'static str,
    text: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        table,
        reason: e.to_string(),
    })
}

/// A value as JSON text.
///
/// # Errors
/// [`StoreError::Corrupt`] when the value cannot be serialized (a map with non-string keys).
pub fn to_json<T: serde::Serialize>(v: &T) -> Result<Value, StoreError> {
    serde_json::to_string(v)
        .map(Value::from)
        .map_err(|e| StoreError::Corrupt {
            table: "json",
            reason: e.to_string(),
        })
}

/// A uuid as a statement value.
pub fn uuid(id: Uuid) -> Value {
    Value::Uuid(Some(id))
}

/// An optional uuid as a statement value (NULL when none).
pub fn opt_uuid(id: Option<Uuid>) -> Value {
    Value::Uuid(id)
}

/// An optional BIGINT as a statement value (NULL when none).
pub fn opt_i64(v: Option<i64>) -> Value {
    Value::BigInt(v)
}

/// `$from, $from+1, …` placeholders for an `IN (…)` list of `n` values.
pub fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// True when `err` is a unique-key violation (the caller decides what that means).
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_from_the_given_index() {
        assert_eq!(placeholders(3, 3), "$3, $4, $5");
        assert_eq!(placeholders(1, 0), "");
    }
}
