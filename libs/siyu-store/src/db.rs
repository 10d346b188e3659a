//! Connecting to the database (`postgres://` or `sqlite://`), running migrations, and the few
//! helpers the rest of this crate uses to stay portable across both backends.

use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait, Value,
};
use sea_orm_migration::MigratorTrait;

use crate::error::{Result, StoreError};

/// Which database family a connection talks to; picks the Postgres path (e.g.
/// `FOR UPDATE SKIP LOCKED`) or the portable path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL: row locks, `SKIP LOCKED`, many replicas.
    Postgres,
    /// SQLite: one writer at a time, embedded mode.
    Sqlite,
}

impl Backend {
    /// The backend behind a connection or transaction.
    pub fn of(conn: &impl ConnectionTrait) -> Result<Self> {
        match conn.get_database_backend() {
            DbBackend::Postgres => Ok(Self::Postgres),
            DbBackend::Sqlite => Ok(Self::Sqlite),
            other => Err(StoreError::BadUrl {
                what: "database",
                reason: format!("backend {other:?} is not supported"),
            }),
        }
    }

    /// The backend a URL selects, from its scheme.
    pub fn from_url(url: &str) -> Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else {
            Err(StoreError::BadUrl {
                what: "database",
                reason: "expected postgres:// or sqlite://".into(),
            })
        }
    }

    pub(crate) fn db(self) -> DbBackend {
        match self {
            Self::Postgres => DbBackend::Postgres,
            Self::Sqlite => DbBackend::Sqlite,
        }
    }
}

/// Pool and connection settings. The defaults suit a service replica.
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// Most connections in the pool. `None` = 10 on Postgres, 1 on SQLite: SQLite has a single
    /// writer, and one connection means a deferred transaction never fails to upgrade its lock.
    pub max_connections: Option<u32>,
    /// Connections kept open while idle.
    pub min_connections: u32,
    /// How long opening a connection may take before the call fails as unavailable.
    pub connect_timeout: Duration,
    /// How long a caller may wait for a pooled connection; short so requests fail fast.
    pub acquire_timeout: Duration,
    /// SQLite only: how long a statement waits for another connection's write lock.
    pub busy_timeout: Duration,
}

impl Default for DbOptions {
    fn default() -> Self {
        Self {
            max_connections: None,
            min_connections: 0,
            connect_timeout: Duration::from_secs(5),
            acquire_timeout: Duration::from_secs(5),
            busy_timeout: Duration::from_secs(5),
        }
    }
}

/// Opens a pool for `url` (`postgres://…` or `sqlite://path?mode=rwc`).
///
/// SQLite connections run in WAL mode with a busy timeout and foreign keys on.
#[tracing::instrument(skip_all, fields(backend))]
pub async fn connect(url: &str, options: &DbOptions) -> Result<DatabaseConnection> {
    let backend = Backend::from_url(url)?;
    tracing::Span::current().record("backend", tracing::field::debug(backend));
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.min_connections(options.min_connections)
        .connect_timeout(options.connect_timeout)
        .acquire_timeout(options.acquire_timeout)
        .idle_timeout(Duration::from_secs(600))
        .sqlx_logging(false);
    match backend {
        Backend::Postgres => {
            opts.max_connections(options.max_connections.unwrap_or(10));
        }
        Backend::Sqlite => {
            let busy = options.busy_timeout;
            opts.max_connections(options.max_connections.unwrap_or(1))
                .map_sqlx_sqlite_opts(move |o: SqliteConnectOptions| {
                    o.journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Normal)
                        .busy_timeout(busy)
                        .foreign_keys(true)
                });
        }
    }
    Database::connect(opts)
        .await
        .map_err(|e| StoreError::Unavailable {
            backend: "database",
            message: e.to_string(),
        })
}

/// Applies every pending migration of a service's migrator.
#[tracing::instrument(skip_all)]
pub async fn migrate<M: MigratorTrait>(db: &DatabaseConnection) -> Result<()> {
    M::up(db, None).await.map_err(StoreError::from)
}

/// Starts a transaction that will write. On SQLite it is `BEGIN IMMEDIATE`, so it takes the
/// write lock up front (waiting up to the busy timeout) instead of failing later when a read
/// lock cannot be upgraded; on Postgres it is a plain `BEGIN`.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction> {
    let mode = match Backend::of(db)? {
        Backend::Sqlite => Some(SqliteTransactionMode::Immediate),
        Backend::Postgres => None,
    };
    let options = TransactionOptions {
        sqlite_transaction_mode: mode,
        ..Default::default()
    };
    Ok(db.begin_with_options(options).await?)
}

/// A raw statement with `$1…$n` placeholders; sqlx accepts that form on both backends.
pub(crate) fn stmt(
    backend: Backend,
    sql: &str,
    values: impl IntoIterator<Item = Value>,
) -> Statement {
    Statement::from_sql_and_values(backend.db(), sql, values)
}

/// `FOR UPDATE SKIP LOCKED` on Postgres; nothing on SQLite, where the caller holds the
/// database write lock (`BEGIN IMMEDIATE`) instead.
pub(crate) fn skip_locked(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_is_chosen_by_scheme() {
        assert_eq!(
            Backend::from_url("postgres://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert_eq!(
            Backend::from_url("postgresql://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert_eq!(
            Backend::from_url("sqlite://x.db?mode=rwc").unwrap(),
            Backend::Sqlite
        );
        assert!(matches!(
            Backend::from_url("mysql://h/db"),
            Err(StoreError::BadUrl { .. })
        ));
    }
}
