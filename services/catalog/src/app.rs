//! Domain logic of catalog and inventory in plain Rust: no tonic, no sea-orm entity types.
//!
//! Who may call an RPC is the contract's business (the access layer admits or refuses each
//! call before a handler runs); what stays here is what depends on the data: the org unit a
//! staff member acts on ([`org_scope`]), and the business rules themselves. Every mutation
//! takes the caller's `Ctx` and runs inside the transaction the handler's `Mutations::mutate`
//! opened, so the effect, its movements, its outbox events and its idempotency record commit
//! or roll back together.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use siyu_core::Clock;

pub mod assortment;
pub mod categories;
pub mod domain;
pub mod locations;
pub mod org_scope;
pub mod prices;
pub mod products;
pub mod reservations;
pub mod skus;
pub mod stock;
pub mod storefront;
pub mod sync;
pub mod transfers;

/// Absurd quantities are refused at the edge: no SKU moves a million units in one line.
pub const MAX_QUANTITY: i32 = 1_000_000;

/// The app layer's handles: the database and the clock.
#[derive(Debug, Clone)]
pub struct App {
    /// The catalog database (every write, and reads that feed one).
    pub db: DatabaseConnection,
    /// Read-only storefront queries. The same pool on Postgres; on SQLite (one writer
    /// connection) a separate pool of readers over the WAL file, so storefront reads run on
    /// several cores and never wait behind a write transaction.
    pub reads: DatabaseConnection,
    /// Source of "now".
    pub clock: Arc<dyn Clock>,
}

impl App {
    /// An app over `db` with `clock`; reads share `db`.
    pub fn new(db: DatabaseConnection, clock: Arc<dyn Clock>) -> Self {
        Self {
            reads: db.clone(),
            db,
            clock,
        }
    }

    /// The same app reading storefront pages through `reads`.
    #[must_use]
    pub fn with_reads(self, reads: DatabaseConnection) -> Self {
        Self { reads, ..self }
    }

    /// Now, in milliseconds since the epoch (how the schema stores compared timestamps).
    pub fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }
}
