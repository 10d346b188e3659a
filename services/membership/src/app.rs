//! Domain logic of membership in plain Rust: no tonic, no sea-orm entity types.
//!
//! Who may call an RPC is the contract's business (the access layer admits or refuses each
//! call before a handler runs); what stays here depends on the data: whose member a consumer
//! is ([`callers`]), the org unit a staff member acts on ([`org_scope`]), and the business rules.
//! Every mutation takes the caller's `Ctx` and runs inside the transaction the handler's
//! `Mutations::mutate` opened, so the effect, its journal entry, its outbox events and its
//! idempotency record commit or roll back together.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use siyu_core::Clock;

pub mod callers;
pub mod coupons;
pub mod distribution;
pub mod domain;
pub mod guides;
pub mod ledger;
pub mod members;
pub mod org_scope;
pub mod paid;
pub mod segments;
pub mod tags;
pub mod tiers;

/// The app layer's handles: the database and the clock.
#[derive(Debug, Clone)]
pub struct App {
    /// The membership database.
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
