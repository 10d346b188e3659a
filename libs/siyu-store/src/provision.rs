//! Throwaway databases for tests: a fresh Postgres database cloned from a template migrated
//! once per migrator (and per test binary), or a fresh SQLite file.
//!
//! Test runners like nextest start one process per test, so template creation is guarded by a
//! Postgres advisory lock and the template name is deterministic: derived from the migrator's
//! migration names plus the identity of the running binary (so a rebuilt binary with an edited
//! migration does not reuse a stale template).

use std::path::PathBuf;

use sea_orm::{ConnectionTrait, DatabaseConnection};
use sea_orm_migration::MigratorTrait;
use sha2::{Digest, Sha256};

use crate::db::{DbOptions, connect, migrate};
use crate::error::{Result, StoreError};

/// Advisory lock key serialising template creation and cloning across processes.
const TEMPLATE_LOCK: i64 = 0x5159_5573_746f_7265;

/// A database that is removed (best effort) when dropped.
#[derive(Debug)]
pub struct TempDatabase {
    url: String,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    Postgres { admin_url: String, name: String },
    Sqlite { path: PathBuf },
}

impl TempDatabase {
    /// The URL to connect to it.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A fresh Postgres database, cloned from the migrated template of `M`. `admin_url` points
    /// at a database of the same server the user may create databases from (e.g. `postgres`).
    #[tracing::instrument(skip_all)]
    pub async fn postgres<M: MigratorTrait>(admin_url: &str) -> Result<Self> {
        let admin = connect(
            admin_url,
            &DbOptions {
                max_connections: Some(1),
                ..Default::default()
            },
        )
        .await?;
        let name = format!("siyu_test_{}", siyu_core::id::new().simple());
        // One session holds the advisory lock for both steps; it is released on every path.
        admin
            .execute_unprepared(&format!("SELECT pg_advisory_lock({TEMPLATE_LOCK})"))
            .await?;
        let result = async {
            let template = ensure_template::<M>(&admin, admin_url).await?;
            admin
                .execute_unprepared(&format!(
                    "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
                ))
                .await?;
            Ok::<_, StoreError>(())
        }
        .await;
        let unlock = admin
            .execute_unprepared(&format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK})"))
            .await;
        let _ = admin.close().await;
        result?;
        unlock?;
        Ok(Self {
            url: with_database(admin_url, &name),
            cleanup: Cleanup::Postgres {
                admin_url: admin_url.to_owned(),
                name,
            },
        })
    }

    /// A fresh SQLite file in the temp directory, migrated with `M`.
    pub async fn sqlite<M: MigratorTrait>() -> Result<Self> {
        let path =
            std::env::temp_dir().join(format!("siyu-test-{}.db", siyu_core::id::new().simple()));
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let db = connect(&url, &DbOptions::default()).await?;
        migrate::<M>(&db).await?;
        let _ = db.close().await;
        Ok(Self {
            url,
            cleanup: Cleanup::Sqlite { path },
        })
    }

    /// Connects to it with `options`.
    pub async fn connect(&self, options: &DbOptions) -> Result<DatabaseConnection> {
        connect(&self.url, options).await
    }
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Sqlite { path } => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    let _ = std::fs::remove_file(p);
                }
            }
            Cleanup::Postgres { admin_url, name } => {
                // Drop runs outside any runtime guarantee: use a private one on its own thread.
                let (admin_url, name) = (admin_url.clone(), name.clone());
                let handle = std::thread::spawn(move || {
                    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    else {
                        return;
                    };
                    rt.block_on(async {
                        let opts = DbOptions {
                            max_connections: Some(1),
                            ..Default::default()
                        };
                        if let Ok(admin) = connect(&admin_url, &opts).await {
                            let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                            if let Err(err) = admin.execute_unprepared(&sql).await {
                                tracing::warn!(error = %err, "could not drop test database");
                            }
                            let _ = admin.close().await;
                        }
                    });
                });
                let _ = handle.join();
            }
        }
    }
}

/// The template for `M`, created and migrated if it does not exist yet. Call with the lock held.
async fn ensure_template<M: MigratorTrait>(
    admin: &DatabaseConnection,
    admin_url: &str,
) -> Result<String> {
    let names: Vec<String> = M::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let name = template_name(&names);
    let exists = admin
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            admin.get_database_backend(),
            "SELECT 1 AS one FROM pg_database WHERE datname = $1",
            [name.as_str().into()],
        ))
        .await?
        .is_some();
    if exists {
        return Ok(name);
    }
    // Build under a temporary name and rename at the end: a crash mid-migration never leaves
    // a half-migrated database under the template's name.
    let building = format!("{name}_build");
    admin
        .execute_unprepared(&format!(
            "DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"
        ))
        .await?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{building}\""))
        .await?;
    let db = connect(&with_database(admin_url, &building), &DbOptions::default()).await?;
    let migrated = migrate::<M>(&db).await;
    let _ = db.close().await;
    migrated?;
    admin
        .execute_unprepared(&format!(
            "ALTER DATABASE \"{building}\" RENAME TO \"{name}\""
        ))
        .await?;
    // Templates of earlier builds with the same migrations are stale now: drop them so
    // rebuilds do not pile up databases. (With the lock held, nobody is cloning them.)
    let stale = admin
        .query_all_raw(sea_orm::Statement::from_sql_and_values(
            admin.get_database_backend(),
            "SELECT datname FROM pg_database WHERE starts_with(datname, $1) AND datname <> $2",
            [template_family(&names).into(), name.as_str().into()],
        ))
        .await?;
    for row in stale {
        let old: String = row.try_get("", "datname")?;
        let sql = format!("DROP DATABASE IF EXISTS \"{old}\" WITH (FORCE)");
        if let Err(err) = admin.execute_unprepared(&sql).await {
            tracing::warn!(error = %err, "could not drop a stale template");
        }
    }
    Ok(name)
}

/// `siyu_tpl_<migrations>_<binary>`: a hash of the migration names, then a hash of the running
/// binary's path and build time.
pub fn template_name(migration_names: &[String]) -> String {
    format!("{}{}", template_family(migration_names), binary_hash())
}

/// The part of the template name shared by every build with these migrations.
fn template_family(migration_names: &[String]) -> String {
    let mut h = Sha256::new();
    for name in migration_names {
        h.update(name.as_bytes());
        h.update([0u8]);
    }
    format!("siyu_tpl_{}_", &hex::encode(h.finalize())[..16])
}

fn binary_hash() -> String {
    let mut h = Sha256::new();
    if let Ok(exe) = std::env::current_exe() {
        h.update(exe.to_string_lossy().as_bytes());
        if let Ok(modified) = std::fs::metadata(&exe).and_then(|m| m.modified()) {
            h.update(format!("{modified:?}").as_bytes());
        }
    }
    hex::encode(h.finalize())[..10].to_owned()
}

/// `url` with its database name replaced by `name` (query parameters are kept).
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let root = match base[authority_start..].find('/') {
        Some(i) => &base[..authority_start + i],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_name_is_swapped_in_the_url() {
        assert_eq!(
            with_database("postgres://u@h:5432/postgres", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h:5432", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
    }

    #[test]
    fn template_name_depends_on_migrations() {
        let a = template_name(&["m1".into(), "m2".into()]);
        assert_eq!(a, template_name(&["m1".into(), "m2".into()]));
        assert_ne!(a, template_name(&["m1".into()]));
        assert!(a.len() <= 63, "Postgres identifiers are at most 63 bytes");
    }
}
