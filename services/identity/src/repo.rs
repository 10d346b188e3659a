//! Storage: portable SQL (`$n` placeholders work on Postgres and SQLite through sqlx) run through
//! sea-orm connections, returning domain types. Every tenant-scoped query filters by tenant.
//!
//! Rows are decoded by `#[derive(FromQueryResult)]` structs named `*Row`, private to their
//! module, and turned into domain types right there: ids, tenants and the statuses and kinds
//! stored as text become their types at this boundary, and a value no enum knows is a corrupt
//! row (an internal error), never a panic. Every function answers [`AppError`], so a caller
//! tells a lost insert race apart with [`is_unique_violation`].

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
use sea_orm::{ConnectionTrait, FromQueryResult, Statement, Value};
use siyu_core::TenantId;
use siyu_store::StoreError;

use crate::error::AppError;

/// Declares a status or kind as an enum with the fixed text it is stored as: `as_str`,
/// `TryFrom<&str>` (an unknown text is the error, never a panic) and `Display`. Each concept
/// declares its enums in its `repo/<concept>.rs`, so the stored spellings sit in one place;
/// rows read a column into one with [`stored`], so a value no variant names is a corrupt row.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// The stored text.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }
        }

        impl TryFrom<&str> for $name {
            type Error = String;

            fn try_from(value: &str) -> Result<Self, String> {
                match value {
                    $($text => Ok(Self::$variant),)+
                    other => Err(format!("unknown {} {other:?}", stringify!($name))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use text_enum;

/// A statement for the connection's backend.
pub(crate) fn stmt(conn: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(conn.get_database_backend(), sql, values)
}

/// Runs a statement, returning the rows it affected.
pub(crate) async fn execute(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<u64, AppError> {
    Ok(conn
        .execute_raw(stmt(conn, sql, values))
        .await?
        .rows_affected())
}

/// The first row of a query, if any, decoded by its `FromQueryResult` derive.
pub(crate) async fn fetch_one<M: FromQueryResult>(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Option<M>, AppError> {
    Ok(M::find_by_statement(stmt(conn, sql, values))
        .one(conn)
        .await?)
}

/// Every row of a query, each decoded by its `FromQueryResult` derive.
pub(crate) async fn fetch_all<M: FromQueryResult>(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<M>, AppError> {
    Ok(M::find_by_statement(stmt(conn, sql, values))
        .all(conn)
        .await?)
}

/// A `SELECT COUNT(*) AS n` (or any single BIGINT named `n`).
#[derive(Debug, FromQueryResult)]
struct CountRow {
    n: i64,
}

/// The number a `SELECT COUNT(*) AS n` answers (0 when it answers no row).
pub(crate) async fn count(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<i64, AppError> {
    Ok(fetch_one::<CountRow>(conn, sql, values)
        .await?
        .map_or(0, |r| r.n))
}

/// A single text id column named `id`.
#[derive(Debug, FromQueryResult)]
struct IdRow {
    id: String,
}

/// The ids a query selecting one text column `id` answers.
pub(crate) async fn ids(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<String>, AppError> {
    Ok(fetch_all::<IdRow>(conn, sql, values)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect())
}

/// The row of an existence probe selecting one text column `id`.
#[derive(Debug, FromQueryResult)]
struct ProbeRow {
    #[allow(dead_code, reason = "only the row's presence matters")]
    id: String,
}

/// True when a query selecting one text column `id` answers a row.
pub(crate) async fn exists(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<bool, AppError> {
    Ok(fetch_one::<ProbeRow>(conn, sql, values).await?.is_some())
}

/// A stored text as its enum; a value the enum does not know is a corrupt row of `table`.
pub(crate) fn stored<T>(table: &'static str, value: &str) -> Result<T, AppError>
where
    T: for<'a> TryFrom<&'a str, Error = String>,
{
    T::try_from(value).map_err(|reason| AppError::Store(StoreError::Corrupt { table, reason }))
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

/// A tenant id as its stored value: tenant columns are TEXT on both backends, holding the id's
/// hyphenated lower-case form.
pub(crate) fn tenant_text(tenant: TenantId) -> Value {
    text(tenant.to_string())
}

/// A stored tenant id as its type; text that is not one is a corrupt row of `table`.
pub(crate) fn stored_tenant(table: &'static str, value: &str) -> Result<TenantId, AppError> {
    TenantId::parse(value).map_err(|e| {
        AppError::Store(StoreError::Corrupt {
            table,
            reason: e.to_string(),
        })
    })
}

/// True when the error is a unique-constraint violation (a lost insert race).
pub(crate) fn is_unique_violation(err: &AppError) -> bool {
    matches!(
        err,
        AppError::Store(StoreError::Db(db))
            if matches!(db.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
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
