//! Persistence of payments: attempts (`pay_payments`), the inbox (`pay_notifications`), notify
//! routes (`pay_notify_routes`) and the narrow part of `ord_orders` a payment reads and changes.
//! Statements use `$n` placeholders (Postgres and SQLite alike).

use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement, Value};
use uuid::Uuid;

use crate::AppError;

pub mod attempts;
pub mod inbox;
pub mod order_link;
pub mod routes;

/// A statement for `conn`'s backend.
fn stmt(conn: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(conn.get_database_backend(), sql, values)
}

/// `FOR UPDATE` on Postgres; nothing on SQLite, where a write transaction holds the database.
fn for_update(conn: &impl ConnectionTrait, lock: bool) -> &'static str {
    match conn.get_database_backend() {
        DbBackend::Postgres if lock => " FOR UPDATE",
        _ => "",
    }
}

/// The rows of a query.
async fn fetch_all<M: FromQueryResult>(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<M>, AppError> {
    Ok(M::find_by_statement(stmt(conn, sql, values))
        .all(conn)
        .await?)
}

/// The first row of a query, if any.
async fn fetch_one<M: FromQueryResult>(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Option<M>, AppError> {
    Ok(M::find_by_statement(stmt(conn, sql, values))
        .one(conn)
        .await?)
}

/// Runs a statement; returns the rows affected.
async fn execute(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<u64, AppError> {
    Ok(conn
        .execute_raw(stmt(conn, sql, values))
        .await?
        .rows_affected())
}

/// A uuid value.
fn uuid(id: Uuid) -> Value {
    Value::Uuid(Some(id))
}

/// A stored enum number as its domain type.
fn stored<T: TryFrom<i16, Error = String>>(value: i16) -> Result<T, AppError> {
    T::try_from(value).map_err(AppError::Internal)
}
