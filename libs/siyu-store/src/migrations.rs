//! Tables this crate owns. A service appends [`all`] to its own migrator's list so the tables
//! live in the service's database and migrate with it.
//!
//! DDL is written once with type placeholders and rendered per backend by [`ddl`].

use sea_orm::{ConnectionTrait, DbBackend, DbErr};
use sea_orm_migration::{MigrationTrait, SchemaManager};

mod m20250601_000001_siyu_outbox;
mod m20250601_000002_siyu_inbox;
mod m20250601_000003_siyu_idempotency;
mod m20250601_000004_siyu_jobs;

/// Every migration of this crate, in order.
pub fn all() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20250601_000001_siyu_outbox::Migration),
        Box::new(m20250601_000002_siyu_inbox::Migration),
        Box::new(m20250601_000003_siyu_idempotency::Migration),
        Box::new(m20250601_000004_siyu_jobs::Migration),
    ]
}

/// Renders DDL for the backend: `{seq}` an auto-increment primary key, `{uuid}`, `{ts}`
/// (timestamp with time zone), `{bytes}` and `{i64}` column types.
fn ddl(backend: DbBackend, template: &str) -> String {
    let pg = matches!(backend, DbBackend::Postgres);
    template
        .replace(
            "{seq}",
            if pg {
                "BIGSERIAL PRIMARY KEY"
            } else {
                "INTEGER PRIMARY KEY AUTOINCREMENT"
            },
        )
        .replace("{uuid}", if pg { "UUID" } else { "BLOB" })
        .replace("{ts}", if pg { "TIMESTAMPTZ" } else { "TEXT" })
        .replace("{bytes}", if pg { "BYTEA" } else { "BLOB" })
        .replace("{i64}", "BIGINT")
}

/// Runs each statement of `templates`, rendered for the manager's backend.
async fn run(manager: &SchemaManager<'_>, templates: &[&str]) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    let conn = manager.get_connection();
    for template in templates {
        conn.execute_unprepared(&ddl(backend, template)).await?;
    }
    Ok(())
}
