//! Domain logic of content in plain Rust: no tonic, no sea-orm entity types.
//!
//! Who may call an RPC is the contract's business (the access layer admits or refuses each call
//! before a handler runs); what stays here depends on the data (which org unit owns an item, a
//! store manager's stores) and the rules of the item's life: draft → scheduled → published →
//! archived, with immutable versions. Local effects run inside the transaction the handler's
//! `Mutations::mutate` opened, so an item, its version, its outbox event and the idempotency
//! record commit or roll back together.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use siyu_core::Clock;

pub mod contents;
pub mod jobs;
pub mod org_scope;
pub mod pages;
pub mod shares;
pub mod slots;

/// The app layer's handles: the database and the clock.
#[derive(Debug, Clone)]
pub struct App {
    /// The content database.
    pub db: DatabaseConnection,
    /// Source of "now".
    pub clock: Arc<dyn Clock>,
}

impl App {
    /// An app over `db` with `clock`.
    pub fn new(db: DatabaseConnection, clock: Arc<dyn Clock>) -> Self {
        Self { db, clock }
    }

    /// Now, in milliseconds since the epoch (how the schema stores compared timestamps).
    pub fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }
}
