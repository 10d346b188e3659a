//! Storage: portable SQL (`$n` placeholders work on Postgres and SQLite through sqlx) run through
//! sea-orm connections, returning domain types. Every tenant-scoped query filters by tenant.

pub mod audit;
pub mod consumers;
pub mod merges;
pub mod org;
pub mod partners;
pub mod privacy;
pub mod staff;
pub mod tenancy;
pub mod tokens;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, QueryResult, Statement, Value};

/// A statement for the connection's backend.
pub(crate) fn stmt(conn: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(conn.get_database_backend(), sql, values)
}

/// Runs a statement, returning the rows it affected.
pub(crate) async fn exec(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<u64, DbErr> {
    Ok(conn
        .execute_raw(stmt(conn, sql, values))
        .await?
        .rows_affected())
}

/// Runs a query returning at most one row.
pub(crate) async fn one(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Option<QueryResult>, DbErr> {
    conn.query_one_raw(stmt(conn, sql, values)).await
}

/// Runs a query returning every row.
pub(crate) async fn all(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<QueryResult>, DbErr> {
    conn.query_all_raw(stmt(conn, sql, values)).await
}

/// A timestamp value, truncated to microseconds so what is stored equals what is read back
/// (Postgres keeps microseconds; the audit hash depends on exact equality).
pub(crate) fn ts(at: DateTime<Utc>) -> Value {
    Value::ChronoDateTimeUtc(Some(micros(at)))
}

/// An optional timestamp value.
pub(crate) fn ts_opt(at: Option<DateTime<Utc>>) -> Value {
    Value::ChronoDateTimeUtc(at.map(micros))
}

/// `at` truncated to whole microseconds.
pub(crate) fn micros(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at)
}

/// A text value.
pub(crate) fn text(value: impl Into<String>) -> Value {
    Value::String(Some(value.into()))
}

/// True when the error is a unique-constraint violation (a lost insert race).
pub(crate) fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// ` FOR UPDATE` on Postgres; nothing on SQLite, where `begin_write` already holds the
/// database write lock.
pub(crate) fn for_update(conn: &impl ConnectionTrait) -> &'static str {
    match conn.get_database_backend() {
        sea_orm::DbBackend::Postgres => " FOR UPDATE",
        _ => "",
    }
}
